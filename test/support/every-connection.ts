import type { Kysely } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests work on tables they create
type Db = Kysely<any>

/**
 * Runs `fn` once on each of `connections` distinct connections of `db`'s
 * pool (whose `max` must be `connections`): every call holds its connection
 * until all have run, so no two share one. Returns the results in order.
 * For tests of what each pooled connection holds, such as its prepared
 * statements.
 */
export async function onEveryConnection<T>(db: Db, connections: number, fn: (connection: Db, index: number) => Promise<T>): Promise<T[]> {
  let arrived = 0
  let release: () => void = () => undefined
  const allArrived = new Promise<void>((resolve) => (release = resolve))
  return Promise.all(
    Array.from({ length: connections }, (_, index) =>
      db.connection().execute(async (connection) => {
        try {
          return await fn(connection, index)
        } finally {
          if (++arrived === connections) release()
          await allArrived
        }
      }),
    ),
  )
}
