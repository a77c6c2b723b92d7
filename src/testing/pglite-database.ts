import { Kysely, type Dialect } from 'kysely'
import { install } from '../install/install.js'
import { EmbeddedServerError } from './embedded-server-error.js'

/** An in-process PGlite database for one test file. */
export interface PgliteDatabase {
  /** A Kysely<any> instance over the PGlite database (one connection). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests create their own tables; no schema type fits
  readonly db: Kysely<any>
  /** Destroys `db` and closes PGlite; its data was in memory and is gone. Idempotent. */
  close(): Promise<void>
}

export interface CreatePgliteDatabaseOptions {
  /**
   * Install the library's SQL (`install(db)`) before returning. Default:
   * `true`. Pass `false` to test your own migrations, which install it
   * themselves through `migrate()`.
   */
  readonly install?: boolean
}

/** The parts of `@electric-sql/pglite` and `kysely-pglite-dialect` used here; typed by hand because both are optional peers. */
interface PgliteModule {
  readonly PGlite: { create(options: { extensions: Record<string, unknown> }): Promise<unknown> }
}
interface BtreeGistModule {
  readonly btree_gist: unknown
}
interface DialectModule {
  readonly PGliteDialect: new (pglite: unknown) => Dialect
}

/** Imports an optional peer, or says which packages to install. */
async function importPeer<T>(specifier: string): Promise<T> {
  try {
    return (await import(/* @vite-ignore */ specifier)) as T
  } catch (error) {
    throw new EmbeddedServerError(
      'NOT_INSTALLED',
      `createPgliteDatabase() needs the optional peer dependencies @electric-sql/pglite and kysely-pglite-dialect (${specifier} could not be loaded): ` +
        'run `npm i -D @electric-sql/pglite kysely-pglite-dialect`, or use createTestDatabase() on a PostgreSQL server.',
      { cause: error },
    )
  }
}

/**
 * Opens a new PGlite database in this process (PostgreSQL compiled to
 * WebAssembly: no server, no child process, no OS user) with `btree_gist`
 * loaded and, unless `install: false`, the library installed. Each call gets
 * a database of its own, in memory.
 *
 * PGlite has ONE connection: inside a transaction use the transaction
 * (a query on `db` there hangs), nothing runs concurrently (test concurrency
 * on a server), and its clock counts milliseconds. See docs/testing.md.
 *
 * @example
 * ```ts
 * import { afterAll, beforeAll, test } from 'vitest'
 * import { bitemporal, createTable } from 'bitemporal'
 * import { createPgliteDatabase, type PgliteDatabase } from 'bitemporal/testing'
 *
 * let database: PgliteDatabase
 * beforeAll(async () => {
 *   database = await createPgliteDatabase()
 *   await createTable(database.db, taxRates)
 * })
 * afterAll(() => database.close())
 *
 * test('sets a rate', async () => {
 *   await bitemporal(database.db, taxRates).set(key, { from: '2023-01-01' }, { rate: '0.15' })
 * })
 * ```
 */
export async function createPgliteDatabase(options: CreatePgliteDatabaseOptions = {}): Promise<PgliteDatabase> {
  // Variable specifiers keep tsc and Vite from resolving packages that may not be installed.
  const [pgliteSpecifier, btreeGistSpecifier, dialectSpecifier] = ['@electric-sql/pglite', '@electric-sql/pglite/contrib/btree_gist', 'kysely-pglite-dialect']
  const { PGlite } = await importPeer<PgliteModule>(pgliteSpecifier)
  const { btree_gist } = await importPeer<BtreeGistModule>(btreeGistSpecifier)
  const { PGliteDialect } = await importPeer<DialectModule>(dialectSpecifier)
  const pglite = await PGlite.create({ extensions: { btree_gist } })
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
  const db = new Kysely<any>({ dialect: new PGliteDialect(pglite) })
  let closing: Promise<void> | undefined
  const close = (): Promise<void> => (closing ??= db.destroy())
  if (options.install ?? true) {
    try {
      await install(db)
    } catch (error) {
      await close()
      throw error
    }
  }
  return { db, close }
}
