import type { ControlledTransaction, IsolationLevel, Kysely } from 'kysely'
import type pg from 'pg'
import { afterEach } from 'vitest'
import { type CountingPool, countingPool } from './counting-pool.js'
import { backendPid } from './lock-wait.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests work on tables they create
type Db = Kysely<any>

/** Connections of their own for concurrency tests, each with its server pid. */
export interface OwnConnections {
  /** A connection of its own: a pool of one client whose queries are recorded, and its server pid. `config` adds pool settings (session `options`, say). */
  readonly connect: (config?: pg.PoolConfig) => Promise<CountingPool & { readonly pid: number }>
  /** A transaction on `db`, at `isolationLevel` if given, that is rolled back after the test if the test left it open. */
  readonly begin: (db: Db, isolationLevel?: IsolationLevel) => Promise<ControlledTransaction<unknown>>
  /** Ends `pool` after the test, with the connections made here. */
  readonly adopt: <P extends CountingPool>(pool: P) => P
}

/**
 * Connections and transactions that tests open on `url()`, cleaned up after
 * each test: a failing test must not leave a transaction holding locks for
 * the next one. Call at the top of a file or `describe`.
 */
export function ownConnections(url: () => string): OwnConnections {
  const opened: CountingPool[] = []
  const open: ControlledTransaction<unknown>[] = []
  afterEach(async () => {
    for (const trx of open.splice(0)) {
      if (!trx.isCommitted && !trx.isRolledBack) await trx.rollback().execute().catch(() => undefined)
    }
    await Promise.all(opened.splice(0).map((pool) => pool.end()))
  })
  return {
    connect: async (config = {}) => {
      const pool = countingPool({ ...config, connectionString: url(), max: 1 })
      opened.push(pool)
      return { ...pool, pid: await backendPid(pool.db) }
    },
    begin: async (db, isolationLevel) => {
      const start = db.startTransaction()
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely<any> transactions
      const trx: ControlledTransaction<any> = await (isolationLevel === undefined ? start : start.setIsolationLevel(isolationLevel)).execute()
      open.push(trx)
      return trx
    },
    adopt: (pool) => {
      opened.push(pool)
      return pool
    },
  }
}
