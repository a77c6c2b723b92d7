import { type CompiledQuery, Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { AnyKysely } from '../src/any-kysely.js'

/** Two Kysely instances over one connection: `db`, and `recording`, which also keeps what it sends. */
export interface OneConnection {
  readonly db: AnyKysely
  /** The same connection; every query it runs lands in `recorded`. */
  readonly recording: AnyKysely
  readonly recorded: CompiledQuery[]
  /** Ends the connection (both instances). */
  readonly destroy: () => Promise<void>
}

/**
 * A pool of one connection to `url`, shared by a plain Kysely instance and
 * one that records the statements the library sends: a benchmark measures
 * on one session, and PREPARE, EXECUTE and plan-cache settings must share it.
 */
export function oneConnection(url: string): OneConnection {
  const pool = new pg.Pool({ connectionString: url, max: 1 })
  const recorded: CompiledQuery[] = []
  const db: AnyKysely = new Kysely({ dialect: new PostgresDialect({ pool }) })
  const recording: AnyKysely = new Kysely({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === 'query') recorded.push(event.query)
    },
  })
  return { db, recording, recorded, destroy: () => db.destroy() }
}
