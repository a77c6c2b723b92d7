import { sql } from 'kysely'
import type { AnyKysely } from '../any-kysely.js'
import { mapDatabaseError } from '../errors/map-database-error.js'
import { createTableSql, dropTableSql } from './create-table-sql.js'
import type { TableDefinition } from './define-table.js'
import { upgradeTableSql } from './upgrade-table-sql.js'

/**
 * Creates one bitemporal table ({@link createTableSql}) in one statement
 * batch, so it is all or nothing. Call it from a migration, after
 * {@link install}.
 *
 * @example
 * ```ts
 * // migrations/20260101120000_tax_rates.ts
 * import { createTable, dropTable } from 'bitemporal'
 * import { taxRates } from '../src/tables.js'
 * export const up = (db) => createTable(db, taxRates)
 * export const down = (db) => dropTable(db, taxRates)
 * ```
 */
export async function createTable(db: AnyKysely, definition: TableDefinition): Promise<void> {
  await runDdl(db, createTableSql(definition))
}

/** Drops one bitemporal table ({@link dropTableSql}), history included. */
export async function dropTable(db: AnyKysely, definition: TableDefinition): Promise<void> {
  await runDdl(db, dropTableSql(definition))
}

/** Brings a table created by an earlier version of the library up to date ({@link upgradeTableSql}), in one statement batch. */
export async function upgradeTable(db: AnyKysely, definition: TableDefinition): Promise<void> {
  await runDdl(db, upgradeTableSql(definition))
}

async function runDdl(db: AnyKysely, ddl: string): Promise<void> {
  try {
    // Without parameters `pg` sends this as one simple query: one round trip,
    // and PostgreSQL runs the statements as one implicit transaction.
    await sql.raw(ddl).execute(db)
  } catch (error) {
    throw mapDatabaseError(error)
  }
}
