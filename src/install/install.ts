import { fileURLToPath } from 'node:url'
import type { AnyKysely } from '../any-kysely.js'
import { readMigrationFolder } from '../migrate/migration-file.js'
import { MigrationRunner } from '../migrate/migration-runner.js'
import { assertDatabase } from '../statement/database-input.js'
import { acceptEarlierLibraryVersions } from './earlier-library-versions.js'
import { applyLibraryFunctions, checkLibraryFunctionBodies, readLibraryFunctions } from './library-functions.js'

/** The library's own SQL, shipped in the package beside `dist/`. */
export const LIBRARY_SQL_FOLDER = fileURLToPath(new URL('../../sql/', import.meta.url))

/** What {@link install} did. */
export interface InstallResult {
  /** The library SQL versions this call applied; empty when all were there already. */
  readonly applied: readonly string[]
  /** The library function files (`sql/functions/<name>.sql`) this call applied because they changed; empty when none did. */
  readonly functions: readonly string[]
}

/**
 * Installs or upgrades the library's SQL (`sql/`) in the schema
 * `bitemporal`: the `btree_gist` extension, the trigger functions every
 * versions table uses, and the registry of versioned tables. Idempotent, and
 * safe to run from many processes at once: each version is applied once,
 * recorded in `bitemporal.library_version`, so upgrading the library applies
 * only what is new; each function file (`sql/functions/`) is applied again
 * when its checksum differs from the one recorded in
 * `bitemporal.library_function`, so an unchanged library costs a few reads.
 *
 * The role needs CREATE on the database (to create the schema and, if it is
 * not there yet, the trusted extension `btree_gist`), or a schema
 * `bitemporal` it may create in plus `btree_gist` installed by an
 * administrator (`create extension btree_gist;`). See `docs/install.md`.
 *
 * @example
 * ```ts
 * await install(db) // { applied: ['0001_core', …], functions: ['check_inserted_system', …] }, then { applied: [], functions: [] }
 * ```
 */
export async function install(db: AnyKysely): Promise<InstallResult> {
  assertDatabase(db, 'install')
  return installLibrary(db, LIBRARY_SQL_FOLDER)
}

/**
 * {@link install} from another folder laid out like `sql/` (tests use a
 * copy). One transaction when versions are pending: the changed function
 * files with their bodies unchecked, the pending versions (which may need
 * the functions: column defaults, grants), then the same files again with
 * their bodies checked against the tables the versions made. With nothing
 * pending, the changed files run checked in a transaction of their own.
 */
export async function installLibrary(db: AnyKysely, folder: string): Promise<InstallResult> {
  const versions = await readMigrationFolder(folder)
  await acceptEarlierLibraryVersions(db, new Map(versions.map((version) => [version.name, version.checksum])))
  const files = await readLibraryFunctions(folder)
  let functions: readonly string[] = []
  const runner = libraryMigrationRunner(db, folder, {
    beforePending: async (trx) => {
      functions = await applyLibraryFunctions(trx, files, { checkBodies: false })
    },
    afterPending: async (trx) => {
      await checkLibraryFunctionBodies(trx, files.filter((file) => functions.includes(file.name)))
    },
  })
  const { migrations } = await runner.up()
  if (migrations.length === 0) {
    functions = await db.transaction().execute((trx) => applyLibraryFunctions(trx, files, { checkBodies: true }))
  }
  return Object.freeze({ applied: migrations, functions: Object.freeze([...functions]) })
}

/** The runner of the library's own SQL versions, recorded in `bitemporal.library_version`. */
export function libraryMigrationRunner(
  db: AnyKysely,
  folder: string = LIBRARY_SQL_FOLDER,
  hooks?: ConstructorParameters<typeof MigrationRunner>[1],
): MigrationRunner {
  return new MigrationRunner({ db, folder, schema: 'bitemporal', table: 'library_version' }, hooks)
}
