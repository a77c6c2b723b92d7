import type { AnyKysely } from '../any-kysely.js'
import { LIBRARY_SQL_FOLDER, libraryMigrationRunner } from './install.js'
import { changedLibraryFunctions, readLibraryFunctions } from './library-functions.js'

/**
 * The library SQL versions this package ships that the database has not
 * applied, in order, then its function files (`functions/<name>`) whose
 * text differs from what the database ran. A service upgraded without
 * running `install(db)` (or `bitemporal migrate up`) writes with the new
 * statements over the old library functions: fixes such as version 0009's
 * (decision 84) are then missing although the package has them. Reads the
 * record only.
 */
export async function pendingLibraryVersions(db: AnyKysely): Promise<readonly string[]> {
  const versions = (await libraryMigrationRunner(db).status()).filter((migration) => migration.state === 'pending').map((migration) => migration.name)
  const functions = await changedLibraryFunctions(db, await readLibraryFunctions(LIBRARY_SQL_FOLDER))
  return [...versions, ...functions.map((file) => `functions/${file.name}`)]
}
