import { setTimeout as delay } from 'node:timers/promises'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { checkHistory } from './support/check-history.js'
import { type Db, prepareLoad } from './support/load-table.js'
import { allKeys, type RandomWrite } from './support/random-write.js'
import { reliabilityConfig } from './support/reliability-config.js'
import { report } from './support/report.js'
import { type RestartableServer, startRestartableServer } from './support/restartable-server.js'
import { ackedWrite, opsPerSecond, runLoad } from './support/run-load.js'
import { type WriterPool, writerPool } from './support/writer-pool.js'

// Issue 8, Restart: an embedded PostgreSQL of this file's own is stopped and
// started again while writers write. Stops alternate between a clean (fast)
// shutdown and an immediate one, which skips the checkpoint and makes the
// next start replay the WAL. fsync is on. Every write whose COMMIT the client
// saw must be there afterwards, the errors of the outage must be typed, and
// the same pool must write again once the server is back.

const config = reliabilityConfig()
const WORKERS = Math.min(config.workers, 8)
/** How long the server stays down each time: writers keep trying meanwhile. */
const OUTAGE_MS = 500
let server: RestartableServer
let observer: Db
let writers: WriterPool

beforeAll(async () => {
  server = await startRestartableServer()
  const pool = new pg.Pool({ connectionString: server.url, max: 1 })
  pool.on('error', () => {})
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Db
  observer = new Kysely<any>({ dialect: new PostgresDialect({ pool }) })
  await prepareLoad(observer, allKeys(config))
  writers = writerPool(server.url, WORKERS)
})
afterAll(async () => {
  await writers.end()
  await observer.destroy()
  await server.remove()
})

it(`${String(config.restarts)} stops and starts of the server under ${String(WORKERS)} writers lose no acknowledged write`, async () => {
  const seen: RandomWrite[] = []
  const durationMs = (config.restarts + 1) * config.restartIntervalMs
  const load = runLoad(writers.db, { ...config, workers: WORKERS, seed: config.seed + 3, durationMs, onCommitted: (write) => seen.push(write) })
  const stops: string[] = []
  for (let n = 0; n < config.restarts; n++) {
    await delay(config.restartIntervalMs)
    const mode = n % 2 === 0 ? 'fast' : 'immediate'
    await server.stop(mode)
    stops.push(mode)
    await delay(OUTAGE_MS)
    await server.start()
  }
  const stats = await load

  // The same pool writes again, on new connections.
  for (let n = 0; n < 3; n++) {
    expect((await ackedWrite(writers.db, { operation: 'set', key: 1, from: '2024-06-01', to: '2024-07-01', worker: 900, seq: n + 1, amount: '1' })).systemTime).not.toBeNull()
  }
  const check = await checkHistory(observer)
  const { rows } = await sql<{ worker: number; seq: number }>`select worker, seq from ack_log where worker between 1 and ${WORKERS}`.execute(observer)
  const logged = new Set(rows.map((row) => `${String(row.worker)}/${String(row.seq)}`))
  const lost = seen.filter((write) => !logged.has(`${String(write.worker)}/${String(write.seq)}`))
  report('restart', {
    form: config.form,
    workers: WORKERS,
    stops,
    outageMs: OUTAGE_MS,
    seconds: Math.round(stats.elapsedMs / 1_000),
    opsPerSecond: opsPerSecond(stats),
    committedSeenByClients: stats.committed,
    acknowledgedByLoad: rows.length,
    lost: lost.length,
    retries: Object.values(stats.retries).reduce((sum, n) => sum + n, 0),
    failures: stats.failures,
    examples: stats.examples,
    ...check.figures,
    problems: check.problems,
  })
  expect(lost).toEqual([])
  expect(check.problems).toEqual([])
  expect(stats.untyped).toEqual([])
  expect(stats.unsafeRetries).toEqual([])
  expect(stops).toHaveLength(config.restarts)
})
