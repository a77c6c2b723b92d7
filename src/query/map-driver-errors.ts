import { type ConnectionProvider, type DatabaseConnection, QueryCreator, type QueryResult } from 'kysely'
import type { AnyKysely } from '../any-kysely.js'
import { mapDatabaseError } from '../errors/map-database-error.js'

/**
 * A query creator over `db` whose builders fail with the library's typed
 * errors: what the driver throws while running one of them (a missing
 * column, 42703; a lost connection; a serialization failure) goes through
 * {@link mapDatabaseError}, so `execute()`, `executeTakeFirst()`,
 * `stream()` and `explain()` reject with a `BitemporalError` whose `cause`
 * is the driver's error. Everything else is `db`'s own: its plugins (which
 * still see the query and shape the rows), its transaction and connection,
 * its compiler. Errors that are not the driver's, such as a plugin's, pass
 * through as thrown.
 *
 * It wraps the executor's connection provider rather than the builder, so
 * every builder derived from the first one (`where`, `select`, joins, `$call`,
 * `withPlugin`) keeps it.
 *
 * @example
 * ```ts
 * await mapDriverErrors(db).selectFrom('tax_rates').select('nope').execute()
 * // rejects with DatabaseError { code: 'DATABASE_ERROR', sqlState: '42703' }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped unless the caller names its database type
export function mapDriverErrors<DB = any>(db: AnyKysely): QueryCreator<DB> {
  // getExecutor() is marked internal in Kysely 0.28 (the supported range of
  // the peer dependency); it is the one way to keep the caller's plugins,
  // compiler and transaction while changing how connections are provided.
  const executor = db.getExecutor()
  const mapping: ConnectionProvider = {
    async provideConnection(consumer) {
      const progress: { connected: boolean } = { connected: false }
      try {
        return await executor.provideConnection((connection) => {
          progress.connected = true
          return consumer(mappedConnection(connection))
        })
      } catch (error) {
        // Before the consumer ran, the error is the pool's (no connection to be had).
        throw progress.connected ? error : mapDatabaseError(error)
      }
    },
  }
  return new QueryCreator<DB>({ executor: executor.withConnectionProvider(mapping) })
}

function mappedConnection(connection: DatabaseConnection): DatabaseConnection {
  return {
    // Every argument goes through as given: Kysely 0.29 added an options
    // argument (an abort signal) that 0.28's signature does not have.
    async executeQuery<R>(...args: Parameters<DatabaseConnection['executeQuery']>): Promise<QueryResult<R>> {
      try {
        return await connection.executeQuery<R>(...args)
      } catch (error) {
        throw mapDatabaseError(error)
      }
    },
    async *streamQuery<R>(...args: Parameters<DatabaseConnection['streamQuery']>): AsyncIterableIterator<QueryResult<R>> {
      try {
        yield* connection.streamQuery<R>(...args)
      } catch (error) {
        throw mapDatabaseError(error)
      }
    },
  }
}
