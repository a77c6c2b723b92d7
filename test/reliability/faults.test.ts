import { type ControlledTransaction, sql } from 'kysely'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BitemporalError, ConcurrentWriteError } from '../../src/errors/errors.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { keyLockSql } from '../../src/schema/key-lock-sql.js'
import { type CountingPool, countingPool, statementKind } from '../support/counting-pool.js'
import { useTestDatabase } from '../support/database.js'
import { backendPid, blockedOrSettled, type Tracked, track, waitUntilBlocked, waitUntilGone } from '../support/lock-wait.js'
import { rejection } from '../support/rejection.js'
import { seededRandom } from '../support/seeded-random.js'
import { checkHistory } from './support/check-history.js'
import { injectFaults } from './support/fault-injector.js'
import { loadTable, prepareLoad } from './support/load-table.js'
import { allKeys, applyWrite, type RandomWrite } from './support/random-write.js'
import { reliabilityConfig } from './support/reliability-config.js'
import { report } from './support/report.js'
import { ackedWrite, opsPerSecond, runLoad, writeAndAck } from './support/run-load.js'
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

/**
 * A writer of one connection that counts what it sends, and its backend pid.
 * `beforeSend`, if given, runs before each statement goes out and may delay
 * it (to end the backend at a chosen point).
 */
async function writer(settings?: string, beforeSend?: (text: string) => Promise<void>): Promise<CountingPool & { readonly pid: number }> {
  const pool = countingPool({ connectionString: database().url, max: 1, application_name: WRITER_APPLICATION, ...(settings === undefined ? {} : { options: settings }) })
  pool.pool.on('connect', (client) => {
    client.on('error', () => {})
    if (beforeSend === undefined) return
    const send = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>
    Object.defineProperty(client, 'query', {
      configurable: true,
      writable: true,
      value: async (...args: unknown[]): Promise<unknown> => {
        const query = args[0]
        await beforeSend(typeof query === 'string' ? query : String((query as { text?: unknown }).text))
        return send(...args)
      },
    })
  })
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

/**
 * The pool's next write after a fault, which must succeed. After a single
 * write whose backend was terminated, pg may hand out the terminated
 * connection once more if it has not yet seen the socket close (no ROLLBACK
 * ran on it to find out): that write fails typed as a lost connection
 * (08006, not retryable), and the one after it succeeds.
 */
async function writeAfterFault(path: (typeof PATHS)[number], db: Parameters<typeof ackedWrite>[0], key: number): ReturnType<typeof ackedWrite> {
  try {
    return await ackedWrite(db, aWrite(key))
  } catch (error) {
    if (path !== PATHS[0]) throw error
    expect(error).toMatchObject({ code: 'DATABASE_ERROR', retryable: false, sqlState: '08006' })
    return ackedWrite(db, aWrite(key))
  }
}


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
    if (sqlState === '57P01') {
      await waitUntilBlocked(database().db, w.pid, pending)
      await sql`select pg_terminate_backend(${w.pid})`.execute(database().db)
    } else {
      // A timeout ends the wait by itself; on a busy machine it may do so
      // before the observer's first look. Its SQLSTATE says it waited.
      await blockedOrSettled(database().db, w.pid, pending)
    }

    expectTypedNotRetryable(await rejection(pending.promise), sqlState)
    // The write statement went out once: a fault is not a lost race.
    expect(w.queries.filter((text) => statementKind(text) === 'with')).toHaveLength(1)
    expect(retried).toEqual([])
    await holders.splice(0)[0]?.rollback().execute()
    expect(await historyOf(key)).toBe(before)

    // The pool's one connection still has the 100 ms timeout of the fault; on
    // a busy machine it could end the write that shows the pool works.
    if (settings !== undefined) await sql`select set_config('statement_timeout', '0', false), set_config('lock_timeout', '0', false)`.execute(w.db)
    expect((await writeAfterFault(path, w.db, key)).systemTime).not.toBeNull()
  })
})

/** The error of a write whose backend was terminated: typed, not retryable, whatever the point. */
function expectConnectionEnded(error: unknown): void {
  expect(error).toBeInstanceOf(BitemporalError)
  expect(error).toMatchObject({ code: 'DATABASE_ERROR', retryable: false })
  // 57P01 when the server's message reached the client, 08006 when only the
  // closed connection did (the backend ended while the client was between
  // statements, or the socket closed first): decision 136.
  expect(['57P01', '08006']).toContain((error as BitemporalError).sqlState)
}

/** Waits until backend `pid` waits for a lock held by `blocker`. */
async function untilBlockedBy(pid: number, blocker: number, pending: Tracked<unknown>): Promise<void> {
  for (;;) {
    const outcome = await blockedOrSettled(database().db, pid, pending)
    if (outcome.state === 'settled') throw new Error(`backend ${String(pid)}'s work finished without waiting for backend ${String(blocker)}`)
    if (outcome.blockers.includes(blocker)) return
  }
}

/** Another transaction writes the key, with its ack, and keeps the key's lock until it commits. */
async function holdKeyLock(key: number): Promise<{ readonly holder: ControlledTransaction<unknown>; readonly pid: number }> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely<any> transactions
  const holder: ControlledTransaction<any> = await database().db.startTransaction().execute()
  holders.push(holder)
  await writeAndAck(holder, aWrite(key), () => 1, {})
  return { holder, pid: await backendPid(holder) }
}

/** Another transaction that queues for the key's lock (its advisory lock alone). */
async function queueForKeyLock(key: number): Promise<{ readonly pid: number; readonly granted: Promise<unknown> }> {
  const own = await writer()
  const lock = keyLockSql(loadTable, [{ expression: `${String(key)}::integer`, parameterType: 'integer' }])
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely<any> transactions
  const queued: ControlledTransaction<any> = await own.db.startTransaction().execute()
  holders.push(queued)
  const granted = sql`select pg_advisory_xact_lock(${sql.raw(lock)})`.execute(queued)
  granted.catch(() => undefined)
  return { pid: own.pid, granted }
}

// A single write that finds its key's lock busy waits its turn in the
// server, inside its one statement (bitemporal.write_in_turn, decision 148);
// a transaction that lost the race runs again from BEGIN, waits for the lock,
// then runs its function (decision 78). Terminated while it waits, either
// gets the same kind of error (decision 136): a DatabaseError that is not
// retryable, the first failure and not the failed ROLLBACK after it, with no
// further attempt and nothing written. (Before decision 148 a single write
// also ran again as BEGIN, the wait, the write and COMMIT, and was struck at
// each; now it sends no statement after its first.)
describe.each(PATHS)('%s on a busy key, its backend terminated while it waits its turn', (path) => {
  it('typed, not retryable, not retried again, nothing written, the pool recovers', async () => {
    const key = freshKey()
    const { holder, pid: holderPid } = await holdKeyLock(key)
    const statements: string[] = []
    let pid = 0
    let struck = false
    const strike = async (): Promise<void> => {
      struck = true
      await sql`select pg_terminate_backend(${pid})`.execute(database().db)
      await waitUntilGone(database().db, [pid])
    }
    const w = await writer(undefined, (text) => {
      if (!struck) statements.push(statementKind(text))
      return Promise.resolve()
    })
    pid = w.pid
    const retried: unknown[] = []
    const sentBefore = statements.length
    const pending = track(
      path === PATHS[0]
        ? applyWrite(bitemporal(w.db, loadTable, { onRetry: (error) => retried.push(error) }), aWrite(key))
        : ackedWrite(w.db, aWrite(key), { onRetry: (error) => retried.push(error) }),
    )
    // The first attempt finds the key's lock busy and waits for the holder.
    await untilBlockedBy(w.pid, holderPid, pending)
    let after: unknown
    if (path === PATHS[0]) {
      // A single write waits its turn inside its statement: struck there.
      await strike()
      await holder.commit().execute()
      after = await historyOf(key)
    } else {
      const queued = await queueForKeyLock(key)
      await untilBlockedBy(queued.pid, w.pid, track(queued.granted))
      await holder.commit().execute()
      after = await historyOf(key)
      // The retry waits for the lock the queued transaction was granted.
      await untilBlockedBy(w.pid, queued.pid, pending)
      await strike()
    }

    const error = await rejection(pending.promise)
    expectConnectionEnded(error)
    // Terminated while it waited, the server's message arrives as the answer
    // to the statement: that is the error, not the lost connection that the
    // ROLLBACK after it meets.
    expect(error).toMatchObject({ sqlState: '57P01' })
    if (path === PATHS[0]) {
      // It waited in its one statement: nothing to run again, nothing more sent.
      expect(retried).toEqual([])
      expect(statements.slice(sentBefore)).toEqual(['with'])
    } else {
      expect(retried).toHaveLength(1)
      expect(retried[0]).toBeInstanceOf(ConcurrentWriteError)
      expect(statements.filter((sent) => sent === 'with').length).toBeLessThanOrEqual(2)
    }
    for (const open of holders.splice(0)) if (!open.isCommitted && !open.isRolledBack) await open.rollback().execute()
    expect(await historyOf(key)).toBe(after)
    expect((await writeAfterFault(path, w.db, key)).systemTime).not.toBeNull()
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
