import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'

/** A Kysely over its own pool that records the text of every query it sends. */
export interface LoggedKysely {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests work on tables they create
  readonly db: Kysely<any>
  /** Every query sent so far, successes and failures; clear it with `sent.length = 0`. */
  readonly sent: string[]
}

/**
 * For "rejected before anything is sent" checks: Kysely logs every query it
 * executes, including the library's own statements through `executeQuery`.
 * Destroy `db` in `afterAll`.
 */
export function loggedKysely(url: string): LoggedKysely {
  const sent: string[] = []
  const db = new Kysely({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }),
    log: (event) => {
      sent.push(event.query.sql)
    },
  })
  return { db, sent }
}
