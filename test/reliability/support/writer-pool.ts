import { setTimeout as delay } from 'node:timers/promises'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import type { Db } from './load-table.js'

/** The name the writers' connections carry, so a fault injector can find their backends. */
export const WRITER_APPLICATION = 'bitemporal-reliability-writer'

export interface WriterPool {
  readonly pool: pg.Pool
  readonly db: Db
  end(): Promise<void>
}

/**
 * One connection per worker. Idle clients whose backend is terminated emit
 * 'error' on the pool; without a listener that would crash the process, and
 * the pool already drops such clients by itself.
 */
export function writerPool(url: string, workers: number): WriterPool {
  const pool = new pg.Pool({ connectionString: url, max: workers, application_name: WRITER_APPLICATION })
  pool.on('error', () => {})
  // A checked-out client has no listener: pg-pool removes its own while the
  // client is lent out. A backend terminated while a transaction waits
  // between statements then emits 'error' on the client, and with no
  // listener that ends the Node process. pg's docs ask applications to
  // listen; the statement in flight (or the next one) still fails as it should.
  pool.on('connect', (client) => client.on('error', () => {}))
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Db
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) })
  let ending: Promise<void> | undefined
  return { pool, db, end: () => (ending ??= db.destroy()) }
}

/**
 * Waits until the pool holds no client whose backend has exited. A backend's
 * FATAL message can still sit unread on an idle client's socket after the
 * backend has left pg_stat_activity; the pool drops that client only when it
 * reads the message, and a write handed that client first fails with 57P01.
 * Call it when the writers are idle (no client lent out).
 */
export async function untilOnlyLiveClients(writers: WriterPool, observer: Db): Promise<void> {
  for (;;) {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = ${WRITER_APPLICATION}`.execute(observer)
    if (writers.pool.totalCount <= (rows[0]?.n ?? 0)) return
    await delay(5)
  }
}
