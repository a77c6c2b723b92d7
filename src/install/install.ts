import { fileURLToPath } from 'node:url'
import type { AnyKysely } from '../any-kysely.js'
import { MigrationRunner } from '../migrate/migration-runner.js'
import { assertDatabase } from '../repository/database.js'

/** The library's own SQL, shipped in the package beside `dist/`. */
export const LIBRARY_SQL_FOLDER = fileURLToPath(new URL('../../sql/', import.meta.url))

/** What {@link install} did. */
export interface InstallResult {
  /** The library SQL versions this call applied; empty when all were there already. */
  readonly applied: readonly string[]
}

/**
 * Installs or upgrades the library's SQL (`sql/`) in the schema
 * `bitemporal`: the `btree_gist` extension, the trigger functions every
 * versions table uses, and the registry of versioned tables. Idempotent, and
 * safe to run from many processes at once: each version is applied once,
 * recorded in `bitemporal.library_version`, so upgrading the library applies
 * only what is new.
 *
 * The role needs CREATE on the database (to create the schema and, if it is
 * not there yet, the trusted extension `btree_gist`), or a schema
 * `bitemporal` it may create in plus `btree_gist` installed by an
 * administrator (`create extension btree_gist;`). See `docs/install.md`.
 *
 * @example
 * ```ts
 * await install(db) // { applied: ['0001_core'] }, then { applied: [] }
 * ```
 */
export async function install(db: AnyKysely): Promise<InstallResult> {
  assertDatabase(db, 'install')
  const { migrations } = await libraryMigrationRunner(db).up()
  return Object.freeze({ applied: migrations })
}

/** The runner of the library's own SQL versions, recorded in `bitemporal.library_version`. */
export function libraryMigrationRunner(db: AnyKysely): MigrationRunner {
  return new MigrationRunner({ db, folder: LIBRARY_SQL_FOLDER, schema: 'bitemporal', table: 'library_version' })
}
