import { sql } from 'kysely'
import type { AnyKysely } from '../any-kysely.js'
import { InvalidInputError } from '../errors/errors.js'
import { isMissingGistEquality, mapDatabaseError } from '../errors/map-database-error.js'
import { columnTypesCheckSql } from './column-types-check-sql.js'
import { createTableSql, dropTableSql } from './create-table-sql.js'
import type { TableDefinition } from './define-table.js'
import type { DropTableOptions } from './drop-guard-sql.js'
import { runSqlStatements } from './sql-statements.js'
import { assertSameColumns, upgradeTableSql } from './upgrade-table-sql.js'
import { readTableColumns } from './table-columns.js'
import { tableSqlNames } from './table-sql-names.js'
import { assertDefinition } from './assert-definition.js'

/**
 * Creates one bitemporal table ({@link createTableSql}) in one
 * transaction, so it is all or nothing. Call it from a migration, after
 * {@link install}. Its first statement is {@link columnTypesCheckSql}: a
 * column type PostgreSQL does not know or cannot parse is an
 * `InvalidInputError` naming the column, the table and PostgreSQL's
 * complaint, and nothing is created. Every statement is its own query, so
 * the check runs before PostgreSQL parses the DDL: a type such as `int(11)`
 * in one batch would fail it as a bare syntax error first.
 *
 * @example
 * ```ts
 * // migrations/20260101120000_tax_rates.ts
 * import { createTable, defineTable, dropTable } from 'bitemporal'
 * // Spelled out, not imported from the application: this migration must
 * // create the same table however the application's definition changes later.
 * const taxRates = defineTable({ name: 'tax_rates', key: { state_id: 'integer', tax_type: 'text' }, values: { rate: 'numeric not null' } })
 * export const up = (db) => createTable(db, taxRates)
 * export const down = (db) => dropTable(db, taxRates)
 * ```
 */
export async function createTable(db: AnyKysely, definition: TableDefinition): Promise<void> {
  try {
    // createTableSql checks that `definition` is one before anything reads it.
    const ddl = createTableSql(definition)
    // One transaction, one query per statement: the check is parsed and run
    // before PostgreSQL parses any of the DDL it guards.
    await runDdl(db, `${columnTypesCheckSql(definition)}\n${ddl}`)
  } catch (error) {
    throw keyTypeError(definition, error) ?? error
  }
}

/** The definition's fault, said as such, when the exclusion constraint cannot compare a key column's type. */
function keyTypeError(definition: TableDefinition, error: unknown): InvalidInputError | undefined {
  if (!isMissingGistEquality(error)) return undefined
  const keys = definition.keyColumns.map((column) => `${column.name} ${column.type}`).join(', ')
  return new InvalidInputError(
    `createTable ${definition.name}: the key (${keys}) cannot be compared in the exclusion constraint that forbids overlapping versions: ${error.message}. ` +
      'Key columns need a type btree_gist compares with its own =: integers, numeric, text, varchar, char, uuid, date, timestamps, boolean, enums, or domains over these; not arrays, composite types or citext (use text with a check, or lower() it before writing).',
    { cause: error, sqlState: error.sqlState },
  )
}

/**
 * Drops one bitemporal table ({@link dropTableSql}), for a migration's
 * `down`. A table that holds rows is not dropped: its rows are its whole
 * history, so this throws `HistoryWouldBeLostError` (code
 * `HISTORY_WOULD_BE_LOST`) and drops nothing, unless told
 * `{ discardHistory: true }` or run in a transaction with
 * `bitemporal.discard_history` on (`bitemporal migrate down
 * --discard-history`). An empty table is dropped either way.
 *
 * @example
 * ```ts
 * await dropTable(db, taxRates)                            // refuses while tax_rates holds rows
 * await dropTable(db, taxRates, { discardHistory: true })  // drops it, rows and all
 * ```
 *
 * @throws {HistoryWouldBeLostError} when the table or its entity table holds a row.
 */
export async function dropTable(db: AnyKysely, definition: TableDefinition, options?: DropTableOptions): Promise<void> {
  await runDdl(db, dropTableSql(definition, options))
}

/**
 * Regenerates the per-table objects of a versions table from `definition`
 * and the table's columns ({@link upgradeTableSql}), in one transaction
 * that first locks the table (ACCESS EXCLUSIVE, as DROP TRIGGER would):
 * after a plain `ALTER TABLE … ADD COLUMN` or `RENAME COLUMN`, or after
 * upgrading the library. Rows are not touched.
 *
 * @example
 * ```ts
 * // alter table prices add column currency text; ran in an earlier migration
 * await upgradeTable(db, defineTable({ name: 'prices', key: { sku: 'text' }, values: { net: 'numeric not null', currency: 'text' } }))
 * ```
 *
 * @throws {DefinitionMismatchError} when the definition and the table's columns differ; nothing changes.
 */
export async function upgradeTable(db: AnyKysely, definition: TableDefinition): Promise<void> {
  assertDefinition(definition, 'upgradeTable')
  try {
    await inTransaction(db, async (trx) => {
      // Checked before the lock, so that a missing table is a typed error rather than 42P01.
      assertSameColumns(definition, await readTableColumns(trx, definition), 'upgradeTable')
      await sql.raw(`lock table ${tableSqlNames(definition).table} in access exclusive mode`).execute(trx)
      await runSqlStatements(trx, await upgradeTableSql(trx, definition))
    })
  } catch (error) {
    throw mapDatabaseError(error)
  }
}

/** Runs `work` in `db`'s transaction when it is one, else in a transaction of its own. */
export async function inTransaction<T>(db: AnyKysely, work: (trx: AnyKysely) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work)
}

async function runDdl(db: AnyKysely, ddl: string): Promise<void> {
  try {
    // One statement per query, as every driver can run them (PGlite refuses
    // several in one), in a transaction: all or nothing.
    await runSqlStatements(db, ddl)
  } catch (error) {
    throw mapDatabaseError(error)
  }
}
