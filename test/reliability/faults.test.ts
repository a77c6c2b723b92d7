import { type ControlledTransaction, sql } from 'kysely'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BitemporalError } from '../../src/errors/errors.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { type CountingPool, countingPool, statementKind } from '../support/counting-pool.js'
import { useTestDatabase } from '../support/database.js'
import { backendPid, track, waitUntilBlocked, waitUntilGone } from '../support/lock-wait.js'
import { rejection } from '../support/rejection.js'
import { seededRandom } from '../support/seeded-random.js'
import { checkHistory } from './support/check-history.js'
import { injectFaults } from './support/fault-injector.js'
import { loadTable, prepareLoad } from './support/load-table.js'
import { allKeys, applyWrite, type RandomWrite } from './support/random-write.js'
import { reliabilityConfig } from './support/reliability-config.js'
import { report } from './support/report.js'
import { ackedWrite, opsPerSecond, runLoad } from './support/run-load.js'
import { untilOnlyLiveClients, WRITER_APPLICATION, writerPool } from './support/writer-pool.js'

// Issue 8, Faults: a backend terminated mid-write, statement_timeout and
// lock_timeout hit while a write waits, a connection lost before COMMIT, and
// the pool's connections dropped. After each: a typed error that is not
// retryable, no retry, nothing half-written, and the pool works again. Then
// the same faults at random moments under load, checked like the load scenario.

const config = reliabilityConfig()
const database = useTestDatabase()
const keys = allKeys(config)
/** Cold keys from the end, one per test, so no test sees another's writes. */
let nextKey = keys.length
const freshKey = (): number => nextKey--
let seq = 0
const aWrite = (key: number): RandomWrite => ({ operation: 'set', key, from: '2024-02-01', to: '2024-03-01', worker: 900, seq: ++seq, amount: '1' })

const opened: CountingPool[] = []
const holders: ControlledTransaction<unknown>[] = []

beforeAll(() => prepareLoad(database().db, keys))
afterEach(async () => {
  for (const holder of holders.splice(0)) if (!holder.isCommitted && !holder.isRolledBack) await holder.rollback().execute().catch(() => undefined)
  await Promise.all(opened.splice(0).map((pool) => pool.end()))
})
afterAll(async () => {
  // Whatever the faults did, the history is exactly the acknowledged writes.
  expect((await checkHistory(database().db)).problems).toEqual([])
})

/** A writer of one connection that counts what it sends, and its backend pid. */
async function writer(settings?: string): Promise<CountingPool & { readonly pid: number }> {
  const pool = countingPool({ connectionString: database().url, max: 1, application_name: WRITER_APPLICATION, ...(settings === undefined ? {} : { options: settings }) })
  pool.pool.on('connect', (client) => client.on('error', () => {}))
  opened.push(pool)
  return { ...pool, pid: await backendPid(pool.db) }
}

/** Another connection holds the key's current rows, so a write on it waits. */
async function holdKey(key: number): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely<any> transactions
  const holder: ControlledTransaction<any> = await database().db.startTransaction().execute()
  holders.push(holder)
  await sql`select 1 from ${sql.table(loadTable.name)} where id = ${key} and upper_inf(system) for update`.execute(holder)
}

const historyOf = async (key: number): Promise<string> => JSON.stringify(await bitemporal(database().db, loadTable).history({ id: key }))

function expectTypedNotRetryable(error: unknown, sqlState: string | undefined): void {
  expect(error).toBeInstanceOf(BitemporalError)
  // A terminated backend sends FATAL 57P01 and closes its socket; now and then
  // (about one run in fifteen, before and after the write statement changed)
  // pg reports the closed connection instead of the message, which the
  // library types as a lost connection, 08006 (decision 79). Either way the
  // error is typed and not retryable, which is what this test is about.
  if (sqlState === '57P01' && (error as BitemporalError).sqlState === '08006') {
    expect(error).toMatchObject({ code: 'DATABASE_ERROR', retryable: false, message: expect.stringContaining('Connection terminated') as unknown })
    return
  }
  expect(error).toMatchObject({ code: 'DATABASE_ERROR', retryable: false, sqlState })
}

const FAULTS = [
  { fault: 'pg_terminate_backend while it waits for a lock', sqlState: '57P01', settings: undefined },
  { fault: 'statement_timeout while it waits for a lock', sqlState: '57014', settings: '-c statement_timeout=100' },
  { fault: 'lock_timeout', sqlState: '55P03', settings: '-c lock_timeout=100' },
] as const
const PATHS = ['a single write (the repository retries class 40 itself)', 'transaction(db, fn) with its ack'] as const

describe.each(PATHS)('%s', (path) => {
  it.each(FAULTS)('$fault: typed $sqlState, not retried, nothing written, the pool recovers', async ({ sqlState, settings }) => {
    const key = freshKey()
    const before = await historyOf(key)
    await holdKey(key)
    const w = await writer(settings)
    const retried: unknown[] = []
    const pending = track(
      w.count(() =>
        path === PATHS[0]
          ? applyWrite(bitemporal(w.db, loadTable), aWrite(key))
          : ackedWrite(w.db, aWrite(key), { onRetry: (error) => retried.push(error) }),
      ),
    )
    await waitUntilBlocked(database().db, w.pid, pending)
    if (sqlState === '57P01') await sql`select pg_terminate_backend(${w.pid})`.execute(database().db)

    expectTypedNotRetryable(await rejection(pending.promise), sqlState)
    // The write statement went out once: a fault is not a lost race.
    expect(w.queries.filter((text) => statementKind(text) === 'with')).toHaveLength(1)
    expect(retried).toEqual([])
    await holders.splice(0)[0]?.rollback().execute()
    expect(await historyOf(key)).toBe(before)

    const again = await ackedWrite(w.db, aWrite(key))
    expect(again.systemTime).not.toBeNull()
  })
})

it('a connection lost after the write, before COMMIT: typed, not retried, nothing written, the pool recovers', async () => {
  const key = freshKey()
  const before = await historyOf(key)
  const w = await writer()
  const retried: unknown[] = []
  const error = await rejection(
    ackedWrite(w.db, aWrite(key), {
      onRetry: (e) => retried.push(e),
      beforeCommit: async () => {
        await sql`select pg_terminate_backend(${w.pid})`.execute(database().db)
        await waitUntilGone(database().db, [w.pid])
      },
    }),
  )
  // COMMIT failed on a dead connection: pg reports the closed connection or
  // the socket's error (which of the two depends on timing), both a lost
  // connection to the library (decision 79).
  expect(error).toBeInstanceOf(BitemporalError)
  expect(error).toMatchObject({ code: 'DATABASE_ERROR', retryable: false, sqlState: '08006' })
  expect((error as BitemporalError).message).toContain('a COMMIT in flight may have taken effect')
  expect(retried).toEqual([])
  expect(await historyOf(key)).toBe(before)
  expect((await ackedWrite(w.db, aWrite(key))).systemTime).not.toBeNull()
})

it("the pool's connections dropped: every write after it succeeds or fails typed, and the pool recovers", async () => {
  const writers = writerPool(database().url, 4)
  try {
    // Four connections open and idle in the pool.
    await Promise.all([1, 2, 3, 4].map(() => sql`select pg_sleep(0.05)`.execute(writers.db)))
    const { rows } = await sql<{ pid: number }>`
      select pid from pg_stat_activity where datname = current_database() and application_name = ${WRITER_APPLICATION}`.execute(database().db)
    expect(rows).toHaveLength(4)
    await sql`select pg_terminate_backend(pid) from unnest(${rows.map((row) => row.pid)}::integer[]) as pid`.execute(database().db)
    await waitUntilGone(database().db, rows.map((row) => row.pid))

    const outcomes: string[] = []
    for (let attempt = 0; attempt < 6; attempt++) {
      try {
        await ackedWrite(writers.db, aWrite(freshKey()))
        outcomes.push('ok')
      } catch (error) {
        expectTypedNotRetryable(error, (error as BitemporalError).sqlState)
        outcomes.push((error as BitemporalError).code)
      }
    }
    // The pool dropped the dead clients and opened new ones: the last writes succeed.
    expect(outcomes.slice(-3)).toEqual(['ok', 'ok', 'ok'])
  } finally {
    await writers.end()
  }
})

it(`${String(config.workers)} workers under random faults for ${String(config.faultsMs / 1_000)} s: nothing lost, nothing half-written, only class 40 retried`, async () => {
  const writers = writerPool(database().url, config.workers)
  const random = seededRandom(config.seed + 1)
  try {
    const injector = injectFaults(database().db, random, { min: 50, max: 400 })
    const stats = await runLoad(writers.db, { ...config, seed: config.seed + 2, durationMs: config.faultsMs, lockTimeoutChance: 0.05, statementTimeoutChance: 0.03 })
    const faults = await injector.stop()
    await untilOnlyLiveClients(writers, database().db)

    // After the storm: the pool works again.
    for (let n = 0; n < 3; n++) expect((await ackedWrite(writers.db, aWrite(freshKey()))).systemTime).not.toBeNull()
    const check = await checkHistory(database().db)
    const acknowledgedByLoad = (await sql<{ n: number }>`select count(*)::int as n from ack_log where worker between 1 and ${config.workers}`.execute(database().db)).rows[0]?.n ?? 0
    report('faults', {
      form: config.form,
      workers: config.workers,
      seconds: Math.round(stats.elapsedMs / 1_000),
      opsPerSecond: opsPerSecond(stats),
      transactions: stats.transactions,
      committed: stats.committed,
      acknowledgedByLoad,
      // COMMIT reached the server but its answer did not reach the client: present in history and in the ack log alike.
      committedButNotSeen: acknowledgedByLoad - stats.committed,
      retries: Object.values(stats.retries).reduce((sum, n) => sum + n, 0),
      retriesBySqlState: stats.retries,
      faults,
      failures: stats.failures,
      examples: stats.examples,
      ...check.figures,
      problems: check.problems,
    })
    expect(check.problems).toEqual([])
    expect(stats.untyped).toEqual([])
    expect(stats.unsafeRetries).toEqual([])
    expect(faults.backends).toBeGreaterThan(0)
  } finally {
    await writers.end()
  }
})
