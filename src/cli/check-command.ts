import type { AnyKysely } from '../any-kysely.js'
import { InvalidInputError } from '../errors/errors.js'
import { pendingLibraryVersions } from '../install/pending-library-versions.js'
import { registeredTableDefinition } from './registered-table-definition.js'
import { checkProgress } from './check-progress.js'
import { checkTableData, dataCheckSteps, tableSize } from './check-table-data.js'
import { checkTableColumns } from './check-table-columns.js'
import { checkTableStructure } from './check-table-structure.js'
import type { CliIo } from './cli-io.js'
import { databaseUrl } from './database-url.js'
import { databaseTarget, openDatabase } from './open-database.js'
import type { CheckCommand } from './parse-command.js'
import { type RegisteredTable, registeredTables } from './registered-tables.js'
import { CHECK_USAGE } from './usage.js'

/** The outcome of checking one registered table. */
export interface TableCheck {
  readonly table: string
  /** Rows read by the data checks; `undefined` when they could not run. */
  readonly rows: number | undefined
  readonly problems: readonly string[]
}

/**
 * Runs `bitemporal check`: first whether every library SQL version of this
 * package is installed ({@link pendingLibraryVersions}), then for every
 * table in the registry whether its columns are those of its registered
 * definition ({@link checkTableColumns}), the catalog checks ({@link checkTableStructure}) and
 * the data checks ({@link checkTableData}), printing one line per table and
 * one per problem, then a summary.
 *
 * @returns the exit code: 0 when the library is up to date and every table is healthy (or none is registered), 1 on any problem.
 * @throws {NotFoundError} when the library is not installed.
 * @throws {ConnectionError} when the database cannot be reached.
 */
export async function checkCommand(command: CheckCommand, io: CliIo): Promise<number> {
  const url = databaseUrl(command.url, io, CHECK_USAGE)
  const db = await openDatabase(url, databaseTarget(url, CHECK_USAGE))
  try {
    const tables = await registeredTables(db)
    const pending = await pendingLibraryVersions(db)
    if (pending.length > 0) {
      io.stdout(
        `bitemporal library: ${String(pending.length)} ${pending.length === 1 ? 'version' : 'versions'} of this package not installed (${pending.join(', ')}); run "bitemporal migrate up", or install(db)\n`,
      )
    }
    if (tables.length === 0) {
      io.stdout('no bitemporal tables are registered in this database\n')
      return pending.length === 0 ? 0 : 1
    }
    let unhealthy = 0
    for (const registered of tables) {
      const result = await checkTable(db, registered, io)
      if (result.problems.length === 0) {
        io.stdout(`${result.table}: ok (${String(result.rows ?? 0)} ${result.rows === 1 ? 'row' : 'rows'})\n`)
      } else {
        unhealthy++
        io.stdout(`${result.table}: ${String(result.problems.length)} ${result.problems.length === 1 ? 'problem' : 'problems'}\n`)
        for (const problem of result.problems) io.stdout(`  ${result.table}: ${problem}\n`)
      }
    }
    io.stdout(
      unhealthy === 0
        ? `${String(tables.length)} ${tables.length === 1 ? 'table' : 'tables'} checked, all healthy\n`
        : `${String(tables.length)} ${tables.length === 1 ? 'table' : 'tables'} checked, ${String(unhealthy)} with problems\n`,
    )
    return unhealthy === 0 && pending.length === 0 ? 0 : 1
  } finally {
    await db.destroy()
  }
}

/** Every check of one table; a table whose definition cannot be read gets that one problem. */
async function checkTable(db: AnyKysely, registered: RegisteredTable, io: CliIo): Promise<TableCheck> {
  const table = registered.displayName
  if (registered.relation === undefined) {
    return {
      table,
      rows: undefined,
      problems: [
        `the registry names table OID ${registered.oid}, which no longer exists (dropped without dropTable); delete from bitemporal.versioned_table where relation = ${registered.oid}`,
      ],
    }
  }
  let definition
  try {
    definition = await registeredTableDefinition(db, registered)
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error
    return { table, rows: undefined, problems: [error.description] }
  }
  const columns = await checkTableColumns(db, registered.oid, definition)
  const structure = await checkTableStructure(db, registered.oid, definition)
  const size = await tableSize(db, registered.oid)
  // Never analysed: guess from the pages (rows of about 100 bytes).
  const estimatedRows = size.estimatedRows >= 0 ? size.estimatedRows : size.pages * 80
  const progress = checkProgress(io.progressStream, table, estimatedRows, dataCheckSteps(size.pages))
  try {
    const data = await db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute((trx) => checkTableData(trx, definition, size.pages, progress))
    return { table, rows: data.rows, problems: [...columns, ...structure, ...data.problems] }
  } finally {
    progress.stop()
  }
}
