import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { sql } from 'kysely'
import type { AnyKysely } from '../any-kysely.js'
import { MigrationFailedError } from '../errors/errors.js'
import { mapDatabaseError } from '../errors/map-database-error.js'
import { runSqlStatements } from '../schema/sql-statements.js'

/** The folder of a library SQL folder that holds one file per function. */
export const FUNCTIONS_FOLDER = 'functions'

/** One library function file: `sql/functions/<name>.sql`, a `create or replace function`. */
export interface LibraryFunctionFile {
  /** The file name without `.sql`: the function's name. */
  readonly name: string
  /** sha256 of the file's bytes, hex. */
  readonly checksum: string
  readonly text: string
}

/** The record of applied function files, beside `bitemporal.library_version`. */
const RECORD = sql`bitemporal.library_function`

// Every process that applies function files takes this transaction lock
// first: two transactions replacing one function at once would fail with
// "tuple concurrently updated", and the checksums must be read after the
// other process committed. A constant of the library's own (hashtext of the
// record table's name), so that no other advisory lock of the application
// is taken by mistake.
const LOCK = sql`pg_advisory_xact_lock(hashtext('bitemporal.library_function'))`

/**
 * Reads `<folder>/functions/*.sql`, sorted by name. A folder without
 * function files gives none.
 */
export async function readLibraryFunctions(folder: string): Promise<LibraryFunctionFile[]> {
  const directory = join(folder, FUNCTIONS_FOLDER)
  let entries: string[]
  try {
    entries = await readdir(directory)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw new MigrationFailedError(`cannot read the library's function folder ${directory}: reinstall the package`, { cause: error })
  }
  const files: LibraryFunctionFile[] = []
  for (const entry of entries.filter((name) => name.endsWith('.sql')).sort()) {
    const content = await readFile(join(directory, entry))
    const checksum = createHash('sha256').update(content).digest('hex')
    files.push(Object.freeze({ name: entry.slice(0, -'.sql'.length), checksum, text: content.toString('utf8') }))
  }
  return files
}

/**
 * The function files whose checksum differs from the one recorded (or that
 * were never applied): what {@link applyLibraryFunctions} would apply. Reads
 * only; an empty record (a database from before function files) makes every
 * file changed.
 */
export async function changedLibraryFunctions(db: AnyKysely, files: readonly LibraryFunctionFile[]): Promise<LibraryFunctionFile[]> {
  const recorded = await recordedChecksums(db)
  return files.filter((file) => recorded.get(file.name) !== file.checksum)
}

/** What {@link applyLibraryFunctions} takes besides the transaction and the files. */
export interface ApplyLibraryFunctionsOptions {
  /**
   * PostgreSQL's `check_function_bodies` while the files run. Off before
   * the versioned files of a run (a body may name a table or column they
   * create), on otherwise.
   */
  readonly checkBodies: boolean
}

/**
 * In `trx` (a transaction), under the library's lock: runs every function
 * file whose checksum differs from the recorded one and records its new
 * checksum; forgets recorded files that are gone. Returns the names applied.
 *
 * @example
 * ```ts
 * await db.transaction().execute((trx) => applyLibraryFunctions(trx, files, { checkBodies: true }))
 * // select pg_advisory_xact_lock(…); create table if not exists bitemporal.library_function …;
 * // create or replace function bitemporal.guard_history() …; insert into bitemporal.library_function … on conflict …
 * ```
 */
export async function applyLibraryFunctions(
  trx: AnyKysely,
  files: readonly LibraryFunctionFile[],
  { checkBodies }: ApplyLibraryFunctionsOptions,
): Promise<string[]> {
  await sql`select ${LOCK}`.execute(trx)
  await sql`create table if not exists ${RECORD} (
    name text primary key,
    checksum text not null,
    applied_at timestamp not null default (now() at time zone 'UTC'))`.execute(trx)
  const changed = await changedLibraryFunctions(trx, files)
  await runFunctionFiles(trx, changed, checkBodies)
  for (const file of changed) {
    await sql`insert into ${RECORD} (name, checksum) values (${file.name}, ${file.checksum})
      on conflict (name) do update set checksum = excluded.checksum, applied_at = excluded.applied_at`.execute(trx)
  }
  await sql`delete from ${RECORD} where not (name = any(${files.map((file) => file.name)}::text[]))`.execute(trx)
  return changed.map((file) => file.name)
}

/**
 * Runs `files` again in `trx` with `check_function_bodies` on, recording
 * nothing: after the versioned files of a run made the tables and columns
 * the bodies name, so that a body PostgreSQL would refuse fails the run.
 */
export async function checkLibraryFunctionBodies(trx: AnyKysely, files: readonly LibraryFunctionFile[]): Promise<void> {
  await runFunctionFiles(trx, files, true)
}

async function runFunctionFiles(trx: AnyKysely, files: readonly LibraryFunctionFile[], checkBodies: boolean): Promise<void> {
  if (files.length === 0) return
  const { rows } = await sql<{ previous: string }>`
    select current_setting('check_function_bodies') as previous, set_config('check_function_bodies', ${checkBodies ? 'on' : 'off'}, true)`.execute(trx)
  for (const file of files) {
    try {
      await runSqlStatements(trx, file.text)
    } catch (error) {
      const cause = mapDatabaseError(error)
      throw new MigrationFailedError(`library function file functions/${file.name}.sql failed: ${cause.description}`, {
        cause,
        migration: `functions/${file.name}`,
        sqlState: cause.sqlState,
      })
    }
  }
  await sql`select set_config('check_function_bodies', ${rows[0]?.previous ?? 'on'}, true)`.execute(trx)
}

async function recordedChecksums(db: AnyKysely): Promise<Map<string, string>> {
  const { rows: exists } = await sql<{ found: boolean }>`
    select to_regclass('bitemporal.library_function') is not null as found`.execute(db)
  if (exists[0]?.found !== true) return new Map()
  const { rows } = await sql<{ name: string; checksum: string }>`select name, checksum from ${RECORD}`.execute(db)
  return new Map(rows.map((row) => [row.name, row.checksum]))
}
