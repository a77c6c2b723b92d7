import { sql } from 'kysely'
import type { AnyKysely } from '../../src/any-kysely.js'
import { upgradeTable } from '../../src/schema/create-table.js'
import type { TableDefinition } from '../../src/schema/define-table.js'
import { dropTableObjectsSql } from '../../src/schema/table-objects-sql.js'

/**
 * Brings a table to `next` by running `steps` (ALTER TABLE statements) in
 * one transaction, as alterTable's engine does: the derived triggers, whose
 * conditions name the columns, are dropped first, and `upgradeTable(trx,
 * next)` makes them (and the registry row) again from the catalog's column
 * order. A stand-in for `alterTable(db, next, { defaults: { c:
 * 'current-versions' } | drop, actor, reason })` until those options are
 * wired in; replace the calls with alterTable then.
 */
export async function standInAlterTable(db: AnyKysely, next: TableDefinition, steps: readonly string[]): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const statement of dropTableObjectsSql(next)) await sql.raw(statement).execute(trx)
    for (const step of steps) await sql.raw(step).execute(trx)
    await upgradeTable(trx, next)
  })
}
