import { sql } from 'kysely'
import type { AnyKysely } from '../../any-kysely.js'
import { mapDatabaseError } from '../../errors/map-database-error.js'
import { assertDefinition } from '../assert-definition.js'
import type { TableDefinition } from '../define-table.js'
import { runSqlStatements } from '../sql-statements.js'
import { tableSqlNames } from '../table-sql-names.js'
import { type AlterTableOptions, readAlterTableOptions } from './alter-table-options.js'
import { alterTableStatements } from './alter-table-sql.js'
import { readTableState } from './read-table-state.js'
import { correctCurrentVersions } from './correct-current-versions.js'
import { describeSchemaChanges } from './schema-changes.js'
import { InvalidInputError } from '../../errors/errors.js'

/**
 * Brings an existing versions table to `definition` without losing a
 * version of history ({@link alterTableSql} describes the SQL): adds value
 * columns (nullable, or with a default and a stated reading), widens types
 * losslessly, renames value columns named in `rename`, and regenerates the
 * guards, `<table>_changed_after` and the registry row, all in one
 * transaction (the caller's, or its own). It takes the table's ACCESS
 * EXCLUSIVE lock first, so writers wait for it and then see the new table.
 * Anything that would lose or alter recorded history is refused with
 * `SchemaChangeRefusedError` before any DDL runs. See docs/schema.md.
 *
 * @example
 * ```ts
 * // migrations/20261207150000_prices_amount.ts
 * import { alterTable, defineTable } from 'bitemporal'
 * const prices = defineTable({ name: 'prices', key: { sku: 'text' }, values: { amount: 'numeric(12,2)', currency: "text default 'EUR'" } })
 * export const up = (db) => alterTable(db, prices, { rename: { price: 'amount' }, defaults: { currency: 'every-version' } })
 * ```
 *
 * @throws {SchemaChangeRefusedError} when a difference would lose or alter recorded history, or is not supported; nothing changes.
 * @throws {InvalidInputError} for unknown or malformed options, before anything is sent.
 */
export async function alterTable(db: AnyKysely, definition: TableDefinition, options?: AlterTableOptions): Promise<void> {
  assertDefinition(definition, 'alterTable')
  const read = readAlterTableOptions(options, 'alterTable', definition.name)
  const corrected = [...read.defaults].filter(([, reading]) => reading === 'current-versions').map(([column]) => column)
  if (corrected.length > 0 && db.isTransaction) {
    throw new InvalidInputError(
      `alterTable ${definition.name}: { defaults: { ${corrected[0] ?? ''}: 'current-versions' } } corrects the current versions in batches after the change commits, so it takes a Kysely instance, not a transaction`,
    )
  }
  if (corrected.length > 0 && definition.audit && read.actor === undefined) {
    throw new InvalidInputError(`alterTable ${definition.name}: the table is audited: the correction of current versions needs { actor } (and may take { reason })`)
  }
  try {
    await (db.isTransaction ? run(db) : db.transaction().execute(run))
  } catch (error) {
    throw mapDatabaseError(error)
  }
  // After the DDL's commit: the correction takes the keys' write locks, batch by batch (docs/schema.md).
  const audit = definition.audit ? { ...(read.actor === undefined ? {} : { actor: read.actor }), ...(read.reason === undefined ? {} : { reason: read.reason }) } : {}
  for (const column of corrected) await correctCurrentVersions(db, definition, { column, ...audit })

  async function run(trx: AnyKysely): Promise<void> {
    // Read once to refuse without a lock (and to name a missing table), then
    // again under the lock, which the statements need anyway.
    describe(await readTableState(trx, definition))
    await sql.raw(`lock table ${tableSqlNames(definition).table} in access exclusive mode`).execute(trx)
    await runSqlStatements(trx, describe(await readTableState(trx, definition)).join('\n'))
  }

  function describe(state: Awaited<ReturnType<typeof readTableState>>): string[] {
    return alterTableStatements(definition, state, describeSchemaChanges(state, definition, read), read)
  }
}
