import { randomBytes } from 'node:crypto'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'

/** A new, empty database made for one test file. */
export interface TestDatabase {
  /** URL of the new, empty database. */
  readonly url: string
  readonly name: string
  /** A Kysely<any> instance (PostgresDialect over a pg.Pool, max 10 connections) connected to it. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests create their own tables; no schema type fits
  readonly db: Kysely<any>
  /** Destroys `db`, terminates other sessions on the database, and drops it. Idempotent. */
  drop(): Promise<void>
}

export interface CreateTestDatabaseOptions {
  /**
   * Admin URL: a database on the server where the role may CREATE DATABASE.
   * Default: `process.env.BITEMPORAL_TEST_URL` (set by the test global setup),
   * else `process.env.DATABASE_URL`.
   */
  readonly url?: string
  /**
   * Start of the database name, followed by `_` and random hex. Lower-case
   * letters, digits and `_`, at most 31 characters. Default: `'bitemporal_test'`.
   */
  readonly prefix?: string
}

const PREFIX_PATTERN = /^[a-z_][a-z0-9_]{0,30}$/

/**
 * Creates a new, empty database on the test server and connects a Kysely
 * instance to it. Each call gets its own database, so test files that each
 * make one can run in parallel without seeing each other's tables.
 *
 * The database is copied from `template0`, so nothing installed into
 * `template1` on a shared server leaks into it.
 *
 * @example
 * ```ts
 * import { afterAll, beforeAll, test } from 'vitest'
 * import { createTestDatabase, type TestDatabase } from 'bitemporal/testing'
 *
 * let database: TestDatabase
 * beforeAll(async () => {
 *   database = await createTestDatabase()
 * })
 * afterAll(() => database.drop())
 *
 * test('works', async () => {
 *   await database.db.schema.createTable('t').addColumn('id', 'integer').execute()
 * })
 * ```
 */
export async function createTestDatabase(options: CreateTestDatabaseOptions = {}): Promise<TestDatabase> {
  const adminUrl = firstSet(options.url, process.env['BITEMPORAL_TEST_URL'], process.env['DATABASE_URL'])
  if (adminUrl === undefined) {
    throw new Error(
      'createTestDatabase() has no server: call startTestServer() first (e.g. in a vitest globalSetup that sets ' +
        'process.env.BITEMPORAL_TEST_URL = server.url), pass { url }, or set DATABASE_URL.',
    )
  }
  const prefix = options.prefix ?? 'bitemporal_test'
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new Error(
      `createTestDatabase(): prefix ${JSON.stringify(prefix)} must match ${String(PREFIX_PATTERN)} ` +
        '(lower-case letters, digits and _, at most 31 characters, not starting with a digit).',
    )
  }
  const name = `${prefix}_${randomBytes(8).toString('hex')}`
  const url = withDatabase(adminUrl, name)

  // template0 never has connections (so no "being accessed by other users"
  // errors when files start in parallel) and is always empty.
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)} TEMPLATE template0`))

  const pool = new pg.Pool({ connectionString: url, max: 10 })
  // An idle connection the server ends (e.g. a test that terminates backends)
  // must not crash the worker; queries on a checked-out connection still fail.
  pool.on('error', () => {})
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see TestDatabase.db
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) })

  let dropping: Promise<void> | undefined
  const drop = (): Promise<void> =>
    (dropping ??= (async () => {
      await db.destroy()
      await withAdmin(adminUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`),
      )
    })().catch((error: unknown) => {
      // Let a later call try again, e.g. after a transient connection error.
      dropping = undefined
      throw error
    }))

  return { url, name, db, drop }
}

function firstSet(...values: readonly (string | undefined)[]): string | undefined {
  return values.find((value) => value !== undefined && value !== '')
}

/** The admin URL pointing at database `name`; host, credentials and query parameters stay. */
function withDatabase(adminUrl: string, name: string): string {
  let url: URL
  try {
    url = new URL(adminUrl)
  } catch (error) {
    throw new Error('createTestDatabase(): the admin URL is not a URL like postgres://user:password@host:5432/postgres.', {
      cause: error,
    })
  }
  url.pathname = `/${name}`
  return url.href
}

async function withAdmin(adminUrl: string, run: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await run(client)
  } finally {
    await client.end()
  }
}
