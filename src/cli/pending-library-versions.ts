import type { AnyKysely } from '../any-kysely.js'
import { LIBRARY_SQL_FOLDER } from '../install/install.js'
import { MigrationRunner } from '../migrate/migration-runner.js'

/**
 * The library SQL versions this package ships that the database has not
 * applied, in order. A service upgraded without running `install(db)` (or
 * `bitemporal migrate up`) writes with the new statements over the old
 * library functions: fixes such as version 0009's (decision 84) are then
 * missing although the package has them. Reads the record only.
 */
export async function pendingLibraryVersions(db: AnyKysely): Promise<readonly string[]> {
  const runner = new MigrationRunner({ db, folder: LIBRARY_SQL_FOLDER, schema: 'bitemporal', table: 'library_version' })
  return (await runner.status()).filter((migration) => migration.state === 'pending').map((migration) => migration.name)
}
