import type { AnyKysely } from '../any-kysely.js'
import { libraryMigrationRunner } from './install.js'

/**
 * The library SQL versions this package ships that the database has not
 * applied, in order. A service upgraded without running `install(db)` (or
 * `bitemporal migrate up`) writes with the new statements over the old
 * library functions: fixes such as version 0009's (decision 84) are then
 * missing although the package has them. Reads the record only.
 */
export async function pendingLibraryVersions(db: AnyKysely): Promise<readonly string[]> {
  return (await libraryMigrationRunner(db).status()).filter((migration) => migration.state === 'pending').map((migration) => migration.name)
}
