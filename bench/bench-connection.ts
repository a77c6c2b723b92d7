import { createTestDatabase, startTestServer, type TestServer } from '../src/testing/index.js'
import { type OneConnection, oneConnection } from './one-connection.js'

/** What a bench script works with: one connection to a database of its own. */
export interface BenchConnection extends OneConnection {
  readonly server: TestServer
  /** The database's URL, for the parts that open connections of their own. */
  readonly url: string
}

/**
 * Runs `run` on one connection to a new database named after `prefix`, on
 * DATABASE_URL's server or else an embedded PostgreSQL, and afterwards,
 * however `run` ends, closes the connection, drops the database and stops
 * the server. A benchmark measures on one session: PREPARE, EXECUTE and
 * settings such as `synchronous_commit` must share it.
 */
export async function withBenchConnection<T>(prefix: string, run: (bench: BenchConnection) => Promise<T>): Promise<T> {
  const server = await startTestServer()
  try {
    const database = await createTestDatabase({ url: server.url, prefix })
    try {
      const connection = oneConnection(database.url)
      try {
        return await run({ ...connection, server, url: database.url })
      } finally {
        await connection.destroy()
      }
    } finally {
      await database.drop()
    }
  } finally {
    await server.stop()
  }
}
