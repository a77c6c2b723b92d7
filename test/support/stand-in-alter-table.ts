import { sql } from 'kysely'
import type { AnyKysely } from '../../src/any-kysely.js'
import { AUDIT_COLUMNS, type TableDefinition } from '../../src/schema/define-table.js'
import { registerTableSql } from '../../src/schema/registry-sql.js'
import { tableSqlNames } from '../../src/schema/table-sql-names.js'

/**
 * Brings a table to `next` by running `steps` (ALTER TABLE statements) in
 * one transaction, as alterTable's engine will: the history guard trigger,
 * whose condition names every column, is dropped first and created again
 * after, and the registry row is written for `next`. A stand-in for
 * `alterTable(db, next, …)` until it exists: the guard comes back without its
 * WHEN shortcut (the PL/pgSQL guard compares whole rows, whatever their
 * order, and lets a close through), so it does not depend on the columns'
 * physical order. Replace the calls with alterTable at merge.
 */
export async function standInAlterTable(db: AnyKysely, next: TableDefinition, steps: readonly string[]): Promise<void> {
  const names = tableSqlNames(next)
  const guardArguments = [next.systemColumn, ...(next.audit ? [AUDIT_COLUMNS.closedBy, AUDIT_COLUMNS.closedReason] : [])]
    .map((name) => `'${name}'`)
    .join(', ')
  await db.transaction().execute(async (trx) => {
    await sql.raw(`drop trigger ${names.historyTrigger} on ${names.table}`).execute(trx)
    for (const step of steps) await sql.raw(step).execute(trx)
    await sql
      .raw(`create trigger ${names.historyTrigger} before update on ${names.table} for each row execute function bitemporal.guard_history(${guardArguments})`)
      .execute(trx)
    await sql.raw(registerTableSql(next)).execute(trx)
  })
}
