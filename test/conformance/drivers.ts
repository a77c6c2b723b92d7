import { createPgliteDatabase } from 'bitemporal/testing'
import { type Kysely, Kysely as KyselyClass, PostgresDialect, sql } from 'kysely'
import { PostgresJSDialect } from 'kysely-postgres-js'
import pg from 'pg'
import postgres from 'postgres'

/** The drivers the conformance suite runs on (docs/drivers.md). */
export const DRIVER_NAMES = ['node-postgres', 'postgres-js', 'pglite'] as const
export type DriverName = (typeof DRIVER_NAMES)[number]

/** An open connection to a database the suite may fill as it likes. */
export interface OpenDatabase {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the suite's tables have no database type
  readonly db: Kysely<any>
  close(): Promise<void>
}

/** Reads the driver name the suite was started with, or says which are known. */
export function driverName(value: string | undefined): DriverName {
  const found = DRIVER_NAMES.find((name) => name === value)
  if (found === undefined) throw new Error(`CONFORMANCE_DRIVER must be one of ${DRIVER_NAMES.join(', ')}; got ${String(value)}`)
  return found
}

/**
 * Opens `driver` on the database at `url` (ignored for PGlite, which runs in
 * this process: `createPgliteDatabase()` of bitemporal/testing), with the session TimeZone set to
 * `sessionTimeZone` when given, in the way each driver offers it.
 *
 * @example
 * const { db, close } = await openDatabase('postgres-js', url, 'Asia/Kathmandu')
 */
export async function openDatabase(driver: DriverName, url: string, sessionTimeZone?: string): Promise<OpenDatabase> {
  switch (driver) {
    case 'node-postgres': {
      const pool = new pg.Pool({ connectionString: url, max: 4, ...(sessionTimeZone === undefined ? {} : { options: `-c TimeZone=${sessionTimeZone}` }) })
      const db = new KyselyClass<unknown>({ dialect: new PostgresDialect({ pool }) })
      return { db, close: () => db.destroy() }
    }
    case 'postgres-js': {
      const client = postgres(url, { max: 4, onnotice: () => undefined, ...(sessionTimeZone === undefined ? {} : { connection: { TimeZone: sessionTimeZone } }) })
      const db = new KyselyClass<unknown>({ dialect: new PostgresJSDialect({ postgres: client }) })
      return { db, close: () => db.destroy() }
    }
    case 'pglite': {
      // bitemporal/testing's own PGlite (btree_gist loaded); the suite installs the library itself.
      const database = await createPgliteDatabase({ install: false })
      // One connection: a SET lasts for the whole session.
      if (sessionTimeZone !== undefined) await sql`select set_config('TimeZone', ${sessionTimeZone}, false)`.execute(database.db)
      return { db: database.db, close: () => database.close() }
    }
  }
}
