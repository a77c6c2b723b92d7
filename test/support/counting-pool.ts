import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'

/** A `pg.Pool` whose clients record the text of every query they send to the server. */
export interface CountingPool {
  readonly pool: pg.Pool
  /** A Kysely instance over `pool`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests work on tables they create
  readonly db: Kysely<any>
  /** The text of every query sent so far, in order, over all clients of the pool. */
  readonly queries: readonly string[]
  /** How many queries `run` sends (the difference of `queries.length` around it), and its result. */
  count<T>(run: () => Promise<T>): Promise<{ readonly sent: readonly string[]; readonly result: T }>
  /** Ends the pool. Idempotent. */
  end(): Promise<void>
}

function textOf(query: unknown): string {
  if (typeof query === 'string') return query
  const text = (query as { text?: unknown } | null)?.text
  return typeof text === 'string' ? text : String(query)
}

/**
 * Makes a pool that counts at the driver: each client's `query` is wrapped
 * when the pool connects it, before anyone (Kysely or the library) uses it.
 * Whatever the library sends, through Kysely or not, is seen here.
 */
export function countingPool(config: pg.PoolConfig): CountingPool {
  const queries: string[] = []
  const pool = new pg.Pool(config)
  // A test that terminates a backend must not crash the worker through an idle client.
  pool.on('error', () => {})
  pool.on('connect', (client) => {
    const send = client.query.bind(client) as (...args: unknown[]) => unknown
    Object.defineProperty(client, 'query', {
      configurable: true,
      writable: true,
      value: (...args: unknown[]): unknown => {
        queries.push(textOf(args[0]))
        return send(...args)
      },
    })
  })
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see CountingPool.db
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) })
  let ending: Promise<void> | undefined
  return {
    pool,
    db,
    queries,
    async count<T>(run: () => Promise<T>) {
      const before = queries.length
      const result = await run()
      return { sent: queries.slice(before), result }
    },
    end: () => (ending ??= db.destroy()),
  }
}

/** The first word of a statement, lower-cased, after leading comments: `begin`, `with`, `select`, … */
export function statementKind(text: string): string {
  const body = text.replace(/^(\s*--[^\n]*\n)*/, '').trimStart()
  return (/^\w+/.exec(body)?.[0] ?? '').toLowerCase()
}
