import { type ControlledTransaction, type Kysely, sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { ConcurrentWriteError, ConflictError, InvalidInputError } from '../../src/errors/errors.js'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import type { Repository, WriteResult } from '../../src/repository/repository.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable, type TableDefinition } from '../../src/schema/define-table.js'
import { transaction } from '../../src/transaction/transaction.js'
import { type CountingPool, countingPool, statementKind } from '../support/counting-pool.js'
import { useTestDatabase } from '../support/database.js'
import { ownConnections } from '../support/own-connections.js'
import { blockedOrSettled, track, waitUntilBlocked } from '../support/lock-wait.js'
import { rejection } from '../support/rejection.js'
import { seededRandom } from '../support/seeded-random.js'
import { diagnostic } from '../support/diagnostic.js'

// docs/semantics.md §6 (and invariants 1, 3, 4 of §2) against a real server,
// with real concurrent connections. Orderings between connections are made
// with explicit synchronisation: a connection is known to wait for a lock
// when pg_stat_activity says so, seen from a third connection.

const database = useTestDatabase()

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tables made by the tests
type Db = Kysely<any>

const rates = defineTable({ name: 'rates', key: { id: 'integer' }, values: { rate: 'numeric not null' } })
const prices = defineTable({ name: 'prices', key: { sku: 'text' }, values: { net: 'numeric not null' } })
type Rates = typeof rates
type Key = { id: number }

beforeAll(async () => {
  await install(database().db)
  await createTable(database().db, rates)
  await createTable(database().db, prices)
})

let lastKey = 0
/** A key no other test uses. */
const newKey = (): Key => ({ id: ++lastKey })

const repo = (db: Db = database().db): Repository<Rates> => bitemporal(db, rates)

const { connect, begin, adopt } = ownConnections(() => database().url)

/** The transaction's system time, as the library formats it; running it also starts the snapshot clock. */
async function systemTimeOf(trx: Db): Promise<string> {
  const { rows } = await sql<{ t: string }>`select bitemporal.format_system_time(bitemporal.system_time()) as t`.execute(trx)
  return rows[0]?.t ?? ''
}

type Row = readonly [from: string, to: string | null, rate: string]

/** The current timeline of `key` as `[from, to, rate]`. */
async function content(key: Key): Promise<Row[]> {
  return (await repo().timeline(key)).map((v) => [v.effective.from, v.effective.to, v.values.rate] as const)
}

/** Every version ever recorded for `key`, as comparable text. */
async function historyOf(key: Key): Promise<string[]> {
  return (await repo().history(key)).map((v) => JSON.stringify([v.values, v.effective, v.system]))
}


function expectConcurrentWrite(error: unknown): void {
  expect(error).toBeInstanceOf(ConcurrentWriteError)
  expect(error).toMatchObject({ code: 'CONCURRENT_WRITE', retryable: true })
}

/**
 * Invariants 1 and 4 over the whole table, in SQL: no two rows of a key
 * overlap in both valid and system time, no empty or reversed range.
 */
async function expectTableConsistent(definition: TableDefinition): Promise<void> {
  const table = sql.table(definition.table.name)
  const sameKey = sql.join(
    definition.keyColumns.map((c) => sql`a.${sql.ref(c.name)} = b.${sql.ref(c.name)}`),
    sql` and `,
  )
  const overlaps = await sql<{ n: number }>`
    select count(*)::int as n from ${table} as a join ${table} as b
      on ${sameKey} and a.ctid <> b.ctid and a.effective && b.effective and a.system && b.system`.execute(database().db)
  expect(overlaps.rows[0]?.n).toBe(0)
  const bad = await sql<{ n: number }>`
    select count(*)::int as n from ${table}
    where isempty(effective) or isempty(system) or lower_inf(system) or upper(system) <= lower(system)`.execute(database().db)
  expect(bad.rows[0]?.n).toBe(0)
}

/** Every system instant that appears in the history of `key`, as lower or upper bound. */
async function systemInstants(key: Key): Promise<Set<string>> {
  const instants = new Set<string>()
  for (const version of await repo().history(key)) {
    instants.add(version.system.from)
    if (version.system.to !== null) instants.add(version.system.to)
  }
  return instants
}

type Write = (repository: Repository<Rates>, key: Key) => Promise<WriteResult>

describe('the lost update of docs/semantics.md §6: two updates on disjoint portions of one version', () => {
  // A: update [Mar, Apr) on the version [2023-01-01, ); it closes the version
  // and inserts three rows. B works on the same version, so it waits for A's
  // row lock; when A commits, B's statement finds the version closed. In READ
  // COMMITTED it would skip it and write nothing; the library must notice and
  // run it again on A's rows.
  const writeA: Write = (r, key) => r.update(key, { from: '2023-03-01', to: '2023-04-01' }, { rate: '2' })
  const afterA: Row[] = [
    ['2023-01-01', '2023-03-01', '1'],
    ['2023-03-01', '2023-04-01', '2'],
    ['2023-04-01', null, '1'],
  ]
  /** After A, then B's update of [Jun, Jul) to 3, the write most cases run as B. */
  const afterAThenB: Row[] = [...afterA.slice(0, 2), ['2023-04-01', '2023-06-01', '1'], ['2023-06-01', '2023-07-01', '3'], ['2023-07-01', null, '1']]

  async function startA(key: Key): Promise<{ a: Awaited<ReturnType<typeof connect>>; trxA: ControlledTransaction<unknown>; resultA: WriteResult }> {
    await repo().set(key, { from: '2023-01-01' }, { rate: '1' })
    const a = await connect()
    const trxA = await begin(a.db)
    const resultA = await writeA(repo(trxA), key)
    expect(resultA).toMatchObject({ closed: 1, inserted: 3 })
    return { a, trxA, resultA }
  }

  const cases: readonly { name: string; write: Write; expected: Row[] }[] = [
    {
      name: 'update [Jun, Jul)',
      write: (r, key) => r.update(key, { from: '2023-06-01', to: '2023-07-01' }, { rate: '3' }),
      expected: afterAThenB,
    },
    {
      name: 'set [Jun, Jul)',
      write: (r, key) => r.set(key, { from: '2023-06-01', to: '2023-07-01' }, { rate: '3' }),
      expected: afterAThenB,
    },
    {
      name: 'set from Jun (the timeline change)',
      write: (r, key) => r.set(key, { from: '2023-06-01' }, { rate: '3' }),
      expected: [...afterA.slice(0, 2), ['2023-04-01', '2023-06-01', '1'], ['2023-06-01', null, '3']],
    },
    {
      name: 'delete [Jun, Jul)',
      write: (r, key) => r.delete(key, { from: '2023-06-01', to: '2023-07-01' }),
      expected: [...afterA.slice(0, 2), ['2023-04-01', '2023-06-01', '1'], ['2023-07-01', null, '1']],
    },
    {
      // After A, the version valid on Jun 1 is A's leftover [Apr, ), not the original one.
      name: 'correct at Jun 1',
      write: (r, key) => r.correct(key, { at: '2023-06-01' }, { rate: '3' }),
      expected: [...afterA.slice(0, 2), ['2023-04-01', null, '3']],
    },
  ]

  it.each(cases)('B, a single write ($name), waits for A, is run again by the library, and both writes survive', async ({ write, expected }) => {
    const key = newKey()
    const { a, trxA, resultA } = await startA(key)
    const b = await connect()

    const pendingB = track(b.count(() => write(repo(b.db), key)))
    const blockers = await waitUntilBlocked(database().db, b.pid, pendingB)
    expect(blockers).toContain(a.pid)
    await trxA.commit().execute()

    const { sent, result: resultB } = await pendingB.promise
    // The statement found the key's lock held, waited its turn for it in the
    // server and ran the write again there, on a snapshot taken once the lock
    // was held: one round trip, nothing sent again (decision 148).
    expect(sent.map(statementKind)).toEqual(['with'])
    expect(sent[0]).toMatch(/bitemporal\.write_in_turn/)
    expect(resultB.systemTime).not.toBeNull()
    expect(String(resultB.systemTime) > String(resultA.systemTime)).toBe(true)
    expect(await content(key)).toEqual(expected)
    await expectTableConsistent(rates)
  })

  it('B inside repo.transaction waits for A, the helper runs the transaction again, and both updates survive', async () => {
    const key = newKey()
    const { a, trxA, resultA } = await startA(key)
    const b = await connect()

    let attempts = 0
    const pendingB = track(
      b.count(() =>
        repo(b.db).transaction(async (r) => {
          attempts++
          return r.update(key, { from: '2023-06-01', to: '2023-07-01' }, { rate: '3' })
        }),
      ),
    )
    expect(await waitUntilBlocked(database().db, b.pid, pendingB)).toContain(a.pid)
    await trxA.commit().execute()

    const { sent, result: resultB } = await pendingB.promise
    expect(attempts).toBe(2)
    // The second attempt first waits its turn for the key lock the first one found held (decision 78).
    expect(sent.map(statementKind)).toEqual(['begin', 'with', 'rollback', 'begin', 'select', 'with', 'commit'])
    expect(sent[4]).toMatch(/pg_advisory_xact_lock/)
    expect(String(resultB.systemTime) > String(resultA.systemTime)).toBe(true)
    expect(await content(key)).toEqual(afterAThenB)
    // B closed A's leftover [Apr, ) at B's time: history is A's rows, then B's.
    const history = await repo().history(key)
    expect(history.filter((v) => v.system.to === resultB.systemTime).map((v) => v.effective)).toEqual([{ from: '2023-04-01', to: null }])
    await expectTableConsistent(rates)
  })

  it.each(['repeatable read', 'serializable'] as const)(
    'B inside repo.transaction at %s is run again without first waiting for the key lock, and both updates survive',
    async (isolationLevel) => {
      const key = newKey()
      const { a, trxA, resultA } = await startA(key)
      const b = await connect()

      const pendingB = track(
        b.count(() => repo(b.db).transaction((r) => r.update(key, { from: '2023-06-01', to: '2023-07-01' }, { rate: '3' }), { isolationLevel })),
      )
      expect(await waitUntilBlocked(database().db, b.pid, pendingB)).toContain(a.pid)
      await trxA.commit().execute()

      const { sent, result: resultB } = await pendingB.promise
      // At these levels the lock statement would take the attempt's snapshot
      // before the wait, so the write after it could not see what the lock's
      // holder wrote (decision 78): the helper does not queue there.
      expect(sent.map(statementKind)).toEqual(['start', 'with', 'rollback', 'start', 'with', 'commit'])
      expect(sent.some((text) => /pg_advisory_xact_lock\(\$1::bigint\)/.test(text))).toBe(false)
      expect(String(resultB.systemTime) > String(resultA.systemTime)).toBe(true)
      expect(await content(key)).toEqual(afterAThenB)
      await expectTableConsistent(rates)
    },
  )

  it('B inside a raw db.transaction() gets a retryable ConcurrentWriteError, and nothing of B is written', async () => {
    const key = newKey()
    const { a, trxA } = await startA(key)
    const b = await connect()

    const pendingB = track(
      b.count(() =>
        b.db.transaction().execute((trx) => repo(trx).update(key, { from: '2023-06-01', to: '2023-07-01' }, { rate: '3' })),
      ),
    )
    expect(await waitUntilBlocked(database().db, b.pid, pendingB)).toContain(a.pid)
    await trxA.commit().execute()

    const error = await rejection(pendingB.promise)
    expectConcurrentWrite(error)
    expect((error as ConcurrentWriteError).sqlState).toBe('40001')
    // Inside a caller's transaction the library does not run the statement again by itself.
    expect(b.queries.slice(1).map(statementKind)).toEqual(['begin', 'with', 'rollback'])
    expect(await content(key)).toEqual(afterA)
    expect((await repo().history(key)).some((v) => v.values.rate === '3')).toBe(false)
    await expectTableConsistent(rates)
  })
})

describe('contention: a dozen writers on one key', () => {
  const WRITERS = 12

  const day = (index: number): string => new Date(Date.UTC(2024, 0, 1 + index)).toISOString().slice(0, 10)

  interface Outcome {
    acknowledged: { systemTime: string | null; writes: number }[]
    concurrentWrite: number
    /** Units that failed with an accepted answer (NotFoundError, OverlapError). */
    answered: number
    /** SQLSTATE of each final ConcurrentWriteError: 40001 (lost race, stale) or 40P01 (deadlock). */
    sqlStates: Record<string, number>
    unexpected: unknown[]
  }

  /**
   * The writers' shared pool. Two-write transactions on one key can deadlock
   * (each holds a row the other's second write needs); PostgreSQL finds that
   * after deadlock_timeout (1 s by default) and the helper retries. Where the
   * role may, the writers check sooner, so the run stays short.
   */
  async function writerPool(): Promise<CountingPool> {
    const { rows } = await sql<{ su: boolean }>`select rolsuper as su from pg_roles where rolname = current_user`.execute(database().db)
    const pool = countingPool({
      connectionString: database().url,
      max: WRITERS,
      ...(rows[0]?.su === true ? { options: '-c deadlock_timeout=20ms' } : {}),
    })
    return adopt(pool)
  }

  function report(name: string, seed: number, outcome: Outcome, pool: CountingPool): void {
    const writes = outcome.acknowledged.reduce((n, a) => n + a.writes, 0)
    const statements = pool.queries.filter((q) => statementKind(q) === 'with').length
    diagnostic(
      `contention (${name}, seed ${String(seed)}): ${String(outcome.acknowledged.length)} units acknowledged (${String(writes)} writes); ` +
        `${String(outcome.concurrentWrite)} gave up with CONCURRENT_WRITE after the retry budget ${JSON.stringify(outcome.sqlStates)}; ` +
        `${String(outcome.answered)} answered NOT_FOUND or OVERLAP; ` +
        `${String(statements)} write statements sent`,
    )
  }

  /**
   * Runs each writer's units one after the other and the writers at the same
   * time, over one shared pool of `WRITERS` connections. A unit is one
   * single write or one `repo.transaction` of one or two writes.
   */
  async function runWriters(
    units: readonly (readonly { transaction: boolean; writes: readonly Write[]; failed?: () => void }[])[],
    key: Key,
    pool: CountingPool,
    accepted: (error: unknown) => boolean,
  ): Promise<Outcome> {
    const outcome: Outcome = { acknowledged: [], concurrentWrite: 0, answered: 0, sqlStates: {}, unexpected: [] }
    const shared = repo(pool.db)
    await Promise.all(
      units.map(async (writerUnits) => {
        for (const unit of writerUnits) {
          try {
            if (!unit.transaction) {
              const [write] = unit.writes
              if (write === undefined) continue
              const result = await write(shared, key)
              outcome.acknowledged.push({ systemTime: result.systemTime, writes: 1 })
              continue
            }
            const results = await shared.transaction(async (r) => {
              const done: WriteResult[] = []
              for (const write of unit.writes) done.push(await write(r, key))
              return done
            })
            // Invariant 3: every write of one transaction reports the same system time.
            const times = new Set(results.map((r) => r.systemTime).filter((t) => t !== null))
            expect(times.size).toBeLessThanOrEqual(1)
            outcome.acknowledged.push({ systemTime: [...times][0] ?? null, writes: results.length })
          } catch (error) {
            if (error instanceof ConcurrentWriteError && error.retryable) {
              outcome.concurrentWrite++
              const state = error.sqlState ?? 'none'
              outcome.sqlStates[state] = (outcome.sqlStates[state] ?? 0) + 1
              unit.failed?.()
            } else if (accepted(error)) {
              outcome.answered++
            } else {
              outcome.unexpected.push(error)
            }
          }
        }
      }),
    )
    return outcome
  }

  it('writes on disjoint days of one key: every acknowledged write survives, none is half-written', async () => {
    const seed = Date.now() % 1_000_000
    const random = seededRandom(seed)
    const key = newKey()
    await repo().set(key, { from: '2024-01-01', to: '2025-01-01' }, { rate: '0' })

    // 96 distinct days, three apart, dealt to the writers; each day gets one set, update or delete.
    const days = Array.from({ length: WRITERS * 8 }, (_, i) => i * 3)
    for (let i = days.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      ;[days[i], days[j]] = [days[j] ?? 0, days[i] ?? 0]
    }
    const expected = new Map<string, string | null>()
    for (let i = 0; i < 366; i++) expected.set(day(i), '0')

    const writeOn = (index: number): Write => {
      const portion = { from: day(index), to: day(index + 1) }
      const value = String(1000 + index)
      const kind = Math.floor(random() * 3)
      expected.set(day(index), kind === 2 ? null : value)
      if (kind === 0) return (r, k) => r.set(k, portion, { rate: value })
      if (kind === 1) return (r, k) => r.update(k, portion, { rate: value })
      return (r, k) => r.delete(k, portion)
    }
    const units = Array.from({ length: WRITERS }, (_, w) => {
      const mine = days.slice(w * 8, w * 8 + 8)
      const writerUnits: { transaction: boolean; writes: Write[]; failed: () => void }[] = []
      while (mine.length > 0) {
        const mode = Math.floor(random() * 3) // 0: single write, 1: transaction of one, 2: transaction of two
        const taken = mine.splice(0, mode === 2 ? 2 : 1)
        writerUnits.push({
          transaction: mode !== 0,
          writes: taken.map(writeOn),
          // A unit that gave up wrote nothing: its days keep the base value.
          failed: () => {
            for (const index of taken) expected.set(day(index), '0')
          },
        })
      }
      return writerUnits
    })

    const pool = await writerPool()
    const outcome = await runWriters(units, key, pool, () => false)
    report('disjoint days', seed, outcome, pool)

    expect(outcome.unexpected, `seed ${String(seed)}`).toEqual([])
    expect(outcome.acknowledged.length + outcome.concurrentWrite).toBe(units.flat().length)

    // Every write changed something, so every acknowledged unit has a system time, and it is in history.
    const instants = await systemInstants(key)
    for (const { systemTime } of outcome.acknowledged) {
      expect(systemTime).not.toBeNull()
      expect(instants.has(String(systemTime)), `system time ${String(systemTime)} is in history`).toBe(true)
    }

    // The content, day by day: no acknowledged write lost, no unacknowledged one visible.
    const actual = new Map<string, string | null>()
    for (let i = 0; i < 366; i++) actual.set(day(i), null)
    for (const version of await repo().timeline(key)) {
      expect(version.effective.from >= '2024-01-01' && version.effective.to !== null && version.effective.to <= '2025-01-01').toBe(true)
      for (let i = 0; i < 366; i++) {
        const d = day(i)
        if (d >= version.effective.from && d < String(version.effective.to)) {
          expect(actual.get(d), `${d} covered once`).toBeNull()
          actual.set(d, version.values.rate)
        }
      }
    }
    expect(Object.fromEntries(actual), `seed ${String(seed)}`).toEqual(Object.fromEntries(expected))
    await expectTableConsistent(rates)
  })

  it('random overlapping set, update, delete, correct and insert: invariants hold and retries stay bounded', async () => {
    const seed = (Date.now() * 7) % 1_000_000
    const random = seededRandom(seed)
    const key = newKey()
    await repo().set(key, { from: '2024-01-01' }, { rate: '0' })

    const pick = (n: number): number => Math.floor(random() * n)
    let counter = 0
    const randomWrite = (): Write => {
      const start = pick(300)
      const from = day(start)
      const to = random() < 0.2 ? null : day(start + 1 + pick(60))
      const value = String(++counter)
      switch (pick(6)) {
        case 0:
          return (r, k) => r.set(k, { from, to: to ?? day(start + 30) }, { rate: value })
        case 1:
          return (r, k) => r.set(k, { from }, { rate: value })
        case 2:
          return (r, k) => r.update(k, { from, to }, { rate: value })
        case 3:
          return (r, k) => r.delete(k, { from, to: to ?? day(start + 10) })
        case 4:
          return (r, k) => r.correct(k, { at: from }, { rate: value })
        default:
          return (r, k) => r.insert(k, { from, to: to ?? day(start + 5) }, { rate: value })
      }
    }
    const units = Array.from({ length: WRITERS }, () =>
      Array.from({ length: 10 }, () => {
        const mode = pick(3)
        return { transaction: mode !== 0, writes: Array.from({ length: mode === 2 ? 2 : 1 }, randomWrite) }
      }),
    )

    const pool = await writerPool()
    // NOT_FOUND (correct in a gap) and OVERLAP (insert over a version) are answers, not failures.
    const answer = (error: unknown): boolean => ['NOT_FOUND', 'OVERLAP'].includes(String((error as { code?: unknown } | null)?.code))
    const outcome = await runWriters(units, key, pool, answer)
    report('random portions', seed, outcome, pool)

    expect(outcome.unexpected, `seed ${String(seed)}`).toEqual([])
    // A single write's system time is in history (a transaction of two may cancel itself out).
    const instants = await systemInstants(key)
    for (const { systemTime, writes } of outcome.acknowledged) {
      if (systemTime !== null && writes === 1) expect(instants.has(systemTime), `system time ${systemTime} is in history`).toBe(true)
    }
    expect(outcome.acknowledged.length + outcome.concurrentWrite + outcome.answered).toBe(units.flat().length)
    await expectTableConsistent(rates)
  }, 120_000)
})

describe('writes on different keys do not wait for each other', () => {
  const writes: readonly { name: string; write: Write }[] = [
    { name: 'insert', write: (r, k) => r.insert(k, { from: '2023-02-01', to: '2023-02-15' }, { rate: '9' }) },
    { name: 'set', write: (r, k) => r.set(k, { from: '2023-03-01', to: '2023-04-01' }, { rate: '9' }) },
    { name: 'set from', write: (r, k) => r.set(k, { from: '2023-05-01' }, { rate: '9' }) },
    { name: 'update', write: (r, k) => r.update(k, { from: '2023-03-10', to: '2023-03-20' }, { rate: '8' }) },
    { name: 'correct', write: (r, k) => r.correct(k, { at: '2023-03-15' }, { rate: '7' }) },
    { name: 'delete', write: (r, k) => r.delete(k, { from: '2023-06-01', to: '2023-07-01' }) },
  ]

  it('B writes key 2 (every operation) and finishes while A holds an open transaction that wrote key 1 over the same dates', async () => {
    const key1 = newKey()
    const key2 = newKey()
    await repo().set(key1, { from: '2023-01-01', to: '2023-02-01' }, { rate: '1' })
    await repo().set(key1, { from: '2023-03-01' }, { rate: '1' })
    await repo().set(key2, { from: '2023-01-01', to: '2023-02-01' }, { rate: '1' })
    await repo().set(key2, { from: '2023-03-01' }, { rate: '1' })
    const before1 = await content(key1)

    const a = await connect()
    const trxA = await begin(a.db)
    // A touches every current row of key 1 and inserts into its gap.
    for (const { write } of writes) await write(repo(trxA), key1)

    const b = await connect()
    for (const { name, write } of writes) {
      const pendingB = track(write(repo(b.db), key2))
      const outcome = await blockedOrSettled(database().db, b.pid, pendingB)
      expect(outcome, `${name} on key 2 waited for A`).toEqual({ state: 'settled' })
      expect((await pendingB.promise).systemTime, name).not.toBeNull()
    }
    // So do reads of key 1 itself: they see what was committed before A.
    const read = track(repo(b.db).timeline(key1))
    expect(await blockedOrSettled(database().db, b.pid, read)).toEqual({ state: 'settled' })
    expect((await read.promise).map((v) => [v.effective.from, v.effective.to, v.values.rate])).toEqual(before1)
    // A is still open: its transaction has not ended.
    expect(trxA.isCommitted || trxA.isRolledBack).toBe(false)
    await trxA.commit().execute()

    // Both keys went through the same sequence, so they have the same content.
    expect(await content(key1)).toEqual(await content(key2))
    await expectTableConsistent(rates)
  })

  it('a key in another table with the same key values does not wait either', async () => {
    const key = newKey()
    await repo().set(key, { from: '2023-01-01' }, { rate: '1' })
    const sku = { sku: String(key.id) }
    await bitemporal(database().db, prices).set(sku, { from: '2023-01-01' }, { net: '1' })

    const a = await connect()
    const trxA = await begin(a.db)
    await repo(trxA).update(key, { from: '2023-03-01', to: '2023-04-01' }, { rate: '2' })

    const b = await connect()
    const pendingB = track(bitemporal(b.db, prices).update(sku, { from: '2023-03-01', to: '2023-04-01' }, { net: '2' }))
    expect(await blockedOrSettled(database().db, b.pid, pendingB)).toEqual({ state: 'settled' })
    await pendingB.promise
    await trxA.commit().execute()
  })
})

describe('a transaction whose system time is older than a row it would replace', () => {
  // B's system time is fixed when B starts. A starts later, writes K and
  // commits; B then writes over A's rows. Closing them at B's older time would
  // make a reversed range (T below the row's lower bound) or history out of
  // order, so B must fail with a retryable ConcurrentWriteError.
  const setA: Write = (r, k) => r.set(k, { from: '2023-05-01', to: '2023-06-01' }, { rate: '5' })
  const deleteA: Write = (r, k) => r.delete(k, { from: '2023-05-01', to: '2023-06-01' })

  const cases: readonly { name: string; writeA: Write; writeB: Write }[] = [
    { name: 'update inside A’s set', writeA: setA, writeB: (r, k) => r.update(k, { from: '2023-05-10', to: '2023-05-20' }, { rate: '6' }) },
    { name: 'update across A’s set and its leftovers', writeA: setA, writeB: (r, k) => r.update(k, { from: '2023-04-01', to: '2023-07-01' }, { rate: '6' }) },
    { name: 'set inside A’s set', writeA: setA, writeB: (r, k) => r.set(k, { from: '2023-05-10', to: '2023-05-20' }, { rate: '6' }) },
    { name: 'set from inside A’s set', writeA: setA, writeB: (r, k) => r.set(k, { from: '2023-05-10' }, { rate: '6' }) },
    { name: 'delete inside A’s set', writeA: setA, writeB: (r, k) => r.delete(k, { from: '2023-05-10', to: '2023-05-20' }) },
    { name: 'correct A’s version', writeA: setA, writeB: (r, k) => r.correct(k, { at: '2023-05-10' }, { rate: '6' }) },
    { name: 'set inside the gap A deleted', writeA: deleteA, writeB: (r, k) => r.set(k, { from: '2023-05-10', to: '2023-05-20' }, { rate: '6' }) },
    { name: 'set from inside the gap A deleted', writeA: deleteA, writeB: (r, k) => r.set(k, { from: '2023-05-10' }, { rate: '6' }) },
    // B's insert collides with the row A closed at a later time (an exclusion violation): it
    // must be retryable, since running B again succeeds.
    { name: 'insert inside the gap A deleted', writeA: deleteA, writeB: (r, k) => r.insert(k, { from: '2023-05-10', to: '2023-05-20' }, { rate: '6' }) },
  ]

  it.each(cases)('$name: ConcurrentWriteError, and nothing of B is written', async ({ writeA, writeB }) => {
    const key = newKey()
    await repo().set(key, { from: '2023-01-01' }, { rate: '1' })
    const b = await connect()
    const trxB = await begin(b.db)
    const timeB = await systemTimeOf(trxB)

    const resultA = await writeA(repo(), key)
    expect(String(resultA.systemTime) > timeB).toBe(true)
    const historyAfterA = await historyOf(key)

    const error = await rejection(writeB(repo(trxB), key))
    expectConcurrentWrite(error)
    await trxB.rollback().execute()
    expect(await historyOf(key)).toEqual(historyAfterA)
    await expectTableConsistent(rates)
  })

  it('set from in a gap, where A (later) put the next change point: ConcurrentWriteError', async () => {
    // B's portion would end where A's version starts, a version that did not
    // exist at B's system time. Recorded at B's time, history would show B's
    // version ending at a change that came later: the timeline known at B's
    // time would be one that no order of the two writes produces.
    const key = newKey()
    await repo().set(key, { from: '2023-01-01', to: '2023-02-01' }, { rate: '1' })
    const b = await connect()
    const trxB = await begin(b.db)
    const timeB = await systemTimeOf(trxB)

    const resultA = await repo().set(key, { from: '2023-06-01', to: '2023-07-01' }, { rate: '2' })
    expect(String(resultA.systemTime) > timeB).toBe(true)
    const historyAfterA = await historyOf(key)

    const outcome = await repo(trxB)
      .set(key, { from: '2023-03-01' }, { rate: '6' })
      .then(
        (result) => ({ result }),
        (error: unknown) => ({ error }),
      )
    await trxB.rollback().execute()
    expect(await historyOf(key)).toEqual(historyAfterA)
    expect('error' in outcome, `B succeeded at its older system time: ${JSON.stringify(outcome)}`).toBe(true)
    if ('error' in outcome) expectConcurrentWrite(outcome.error)
  })

  it('a close that finds its version closed by a writer that bypassed the key\'s lock: the write runs again instead of bringing that version back', async () => {
    // A ends the version [Jan, Apr) by hand (the one UPDATE the history guard
    // lets through), without the key's lock, and holds the row. B's update
    // over [Feb, Mar) finds the version current in its snapshot, gets the
    // key's lock, and waits on A's row in its close. When A commits, the close
    // skips the row; without the count of closed rows B would still insert
    // [Jan, Feb), [Feb, Mar) and [Mar, Apr) and undo A's change
    // (docs/semantics.md §6: never a lost write).
    const key = newKey()
    await repo().set(key, { from: '2023-01-01', to: '2023-04-01' }, { rate: '1' })
    const a = await connect()
    const trxA = await begin(a.db)
    await sql`update rates set system = tsrange(lower(system), bitemporal.system_time(), '[)') where id = ${key.id} and upper_inf(system)`.execute(trxA)

    const b = await connect()
    const pendingB = track(b.count(() => repo(b.db).update(key, { from: '2023-02-01', to: '2023-03-01' }, { rate: '2' })))
    expect(await waitUntilBlocked(database().db, b.pid, pendingB)).toContain(a.pid)
    await trxA.commit().execute()
    const { sent, result } = await pendingB.promise
    expect(sent.map(statementKind)).toEqual(['with', 'with'])
    // Run again after A, the update finds no version in its portion and changes nothing.
    expect(result.systemTime).toBeNull()
    expect(await repo().timeline(key)).toEqual([])
    await expectTableConsistent(rates)
  })

  it('a version committed into the reach after the snapshot, seen once the lock is held: the write runs again and covers it', async () => {
    // A (open) leaves the version [Jan, Mar) as it is and fills the gap
    // [Mar, Apr). B's update over [Jan, Apr) takes its snapshot (one version in
    // reach) and finds the key's lock held by A: it waits for A to end and
    // runs again on a snapshot that shows A's version. (Before decision 73, B
    // waited on a row lock instead and only the re-check under the key's lock
    // saw A's version; changed-after.test.ts checks that re-check directly.)
    // Without either, B would patch [Jan, Mar) alone and leave A's [Mar, Apr)
    // as if B's update had come first.
    const key = newKey()
    await repo().set(key, { from: '2023-01-01', to: '2023-03-01' }, { rate: '1' })
    const a = await connect()
    const trxA = await begin(a.db)
    await repo(trxA).set(key, { from: '2023-02-01', to: '2023-04-01' }, { rate: '1' })

    const b = await connect()
    const pendingB = track(b.count(() => repo(b.db).update(key, { from: '2023-01-01', to: '2023-04-01' }, { rate: '2' })))
    expect(await waitUntilBlocked(database().db, b.pid, pendingB)).toContain(a.pid)
    await trxA.commit().execute()
    const { sent, result } = await pendingB.promise
    // Run again in turn, inside the one statement (decision 148).
    expect(sent.map(statementKind)).toEqual(['with'])
    expect(result.closed).toBe(2)
    // The statement run in turn is prepared in B's session, to be executed from then on (decision 162).
    const prepared = await sql<{ count: string }>`
      select count(*)::text as count from pg_prepared_statements where name like 'bitemporal\_in\_turn\_%'`.execute(b.db)
    expect(prepared.rows[0]?.count).toBe('1')
    expect((await repo().timeline(key)).map((v) => [v.effective.from, v.effective.to, v.values.rate])).toEqual([
      ['2023-01-01', '2023-03-01', '2'],
      ['2023-03-01', '2023-04-01', '2'],
    ])
    await expectTableConsistent(rates)
  })

  const retried: readonly { name: string; writeA: Write; writeB: Write; expected: Row[] }[] = [
    {
      name: 'update over A’s set',
      writeA: setA,
      writeB: (r, k) => r.update(k, { from: '2023-05-10', to: '2023-05-20' }, { rate: '6' }),
      expected: [
        ['2023-01-01', '2023-05-01', '1'],
        ['2023-05-01', '2023-05-10', '5'],
        ['2023-05-10', '2023-05-20', '6'],
        ['2023-05-20', '2023-06-01', '5'],
        ['2023-06-01', null, '1'],
      ],
    },
    {
      name: 'set from inside A’s set',
      writeA: setA,
      writeB: (r, k) => r.set(k, { from: '2023-05-10' }, { rate: '6' }),
      expected: [
        ['2023-01-01', '2023-05-01', '1'],
        ['2023-05-01', '2023-05-10', '5'],
        ['2023-05-10', '2023-06-01', '6'],
        ['2023-06-01', null, '1'],
      ],
    },
    {
      name: 'set inside the gap A deleted',
      writeA: deleteA,
      writeB: (r, k) => r.set(k, { from: '2023-05-10', to: '2023-05-20' }, { rate: '6' }),
      expected: [
        ['2023-01-01', '2023-05-01', '1'],
        ['2023-05-10', '2023-05-20', '6'],
        ['2023-06-01', null, '1'],
      ],
    },
  ]

  it.each(retried)('$name through transaction(db, fn): the helper runs B again at a newer time, and it succeeds', async ({ writeA, writeB, expected }) => {
    const key = newKey()
    await repo().set(key, { from: '2023-01-01' }, { rate: '1' })
    const b = await connect()
    let attempts = 0
    let resultA: WriteResult | undefined
    const resultB = await transaction(b.db, async (trx) => {
      attempts++
      const timeB = await systemTimeOf(trx)
      if (attempts === 1) {
        resultA = await writeA(repo(), key)
        expect(String(resultA.systemTime) > timeB).toBe(true)
      }
      return writeB(repo(trx), key)
    })
    expect(attempts).toBe(2)
    expect(String(resultB.systemTime) > String(resultA?.systemTime)).toBe(true)
    expect(await content(key)).toEqual(expected)
    await expectTableConsistent(rates)
  })
})

describe('one system time per transaction', () => {
  it('writes on two keys of two tables return the same system time, and it is every new row’s lower bound', async () => {
    const key1 = newKey()
    const key2 = newKey()
    const sku = { sku: `one-time-${String(key1.id)}` }
    await repo().set(key1, { from: '2023-01-01' }, { rate: '1' })
    await bitemporal(database().db, prices).set(sku, { from: '2023-01-01' }, { net: '10' })

    const results = await transaction(database().db, async (trx) => [
      await repo(trx).update(key1, { from: '2023-03-01', to: '2023-04-01' }, { rate: '2' }),
      await repo(trx).insert(key2, { from: '2023-01-01' }, { rate: '3' }),
      await bitemporal(trx, prices).set(sku, { from: '2023-02-01' }, { net: '11' }),
      await bitemporal(trx, prices).delete(sku, { from: '2023-06-01' }),
    ])
    const time = results[0]?.systemTime
    expect(time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/)
    expect(results.map((r) => r.systemTime)).toEqual([time, time, time, time])

    const written = [...(await repo().history(key1)), ...(await repo().history(key2)), ...(await bitemporal(database().db, prices).history(sku))]
    const inserted = written.filter((v) => v.system.from === time)
    const closed = written.filter((v) => v.system.to === time)
    // key 1: 3 rows, key 2: 1 row, prices: set gives 2 rows, delete then replaces the later one.
    expect(inserted.length).toBe(3 + 1 + 2)
    expect(closed.length).toBe(2) // the version of key 1, the version of the sku
    // Nothing else was written at any other time by the transaction.
    expect(written.every((v) => v.system.from === time || v.system.to === time || v.system.from < String(time))).toBe(true)

    // The same in SQL, in both tables, without going through the library's formatting.
    const lowers = await sql<{ t: string }>`
      select distinct to_char(lower(system), 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as t from (
        select system from rates where id in (${key1.id}, ${key2.id}) and upper_inf(system)
        union all select system from prices where sku = ${sku.sku} and upper_inf(system)) s`.execute(database().db)
    expect(lowers.rows.map((r) => r.t)).toEqual([time])
    await expectTableConsistent(rates)
    await expectTableConsistent(prices)
  })

  it('a second write to the same key in the same transaction replaces the first one’s rows: history shows only the net effect', async () => {
    const key = newKey()
    const { systemTime: t0 } = await repo().set(key, { from: '2023-01-01' }, { rate: '1' })

    const [first, second] = await transaction(database().db, async (trx) => [
      await repo(trx).update(key, { from: '2023-03-01', to: '2023-04-01' }, { rate: '2' }),
      await repo(trx).update(key, { from: '2023-03-15', to: '2023-05-01' }, { rate: '3' }),
    ])
    const time = first.systemTime
    expect(time).not.toBeNull()
    expect(second.systemTime).toBe(time)
    expect(first).toMatchObject({ closed: 1, inserted: 3 })
    // The second write replaced two of the first's rows ([Mar, Apr) and [Apr, )).
    expect(second).toMatchObject({ closed: 2, inserted: 4 })

    const history = (await repo().history(key)).map((v) => [v.effective.from, v.effective.to, v.values.rate, v.system.from, v.system.to])
    expect(history).toEqual([
      ['2023-01-01', null, '1', t0, time],
      ['2023-01-01', '2023-03-01', '1', time, null],
      ['2023-03-01', '2023-03-15', '2', time, null],
      ['2023-03-15', '2023-04-01', '3', time, null],
      ['2023-04-01', '2023-05-01', '3', time, null],
      ['2023-05-01', null, '1', time, null],
    ])
    await expectTableConsistent(rates)
  })

  it('a write undone by a second write in the same transaction leaves no trace in history', async () => {
    const key = newKey()
    const [inserted, deleted] = await transaction(database().db, async (trx) => [
      await repo(trx).insert(key, { from: '2023-01-01', to: '2023-02-01' }, { rate: '1' }),
      await repo(trx).delete(key, { from: '2023-01-01', to: '2023-02-01' }),
    ])
    expect(deleted.systemTime).toBe(inserted.systemTime)
    expect(await repo().history(key)).toEqual([])
    expect(await repo().lastChange(key)).toBeNull()
  })
})

describe('optimistic writes with expect', () => {
  /** `instant` (…Z) written with a +01:00 offset, microseconds kept. */
  function withOffset(instant: string): string {
    const [whole = '', micros = ''] = instant.replace(/Z$/, '').split('.')
    const shifted = new Date(Date.parse(`${whole}Z`) + 3_600_000).toISOString().slice(0, 19)
    return `${shifted}.${micros}+01:00`
  }

  async function expectConflict(key: Key, run: () => Promise<unknown>): Promise<void> {
    const before = await historyOf(key)
    const error = await rejection(run())
    expect(error).toBeInstanceOf(ConflictError)
    expect(error).toMatchObject({ code: 'CONFLICT', retryable: false })
    expect(await historyOf(key)).toEqual(before)
  }

  it('succeeds when expect is lastChange, fails with ConflictError after a later change, and writes nothing then', async () => {
    const key = newKey()
    const { systemTime: t1 } = await repo().set(key, { from: '2023-01-01' }, { rate: '1' })
    expect(await repo().lastChange(key)).toBe(t1)

    const { systemTime: t2 } = await repo().update(key, { from: '2023-03-01', to: '2023-04-01' }, { rate: '2' }, { expect: String(t1) })
    expect(await repo().lastChange(key)).toBe(t2)
    await expectConflict(key, () => repo().update(key, { from: '2023-05-01', to: '2023-06-01' }, { rate: '3' }, { expect: String(t1) }))
    await expectConflict(key, () => repo().set(key, { from: '2023-05-01' }, { rate: '3' }, { expect: String(t1) }))
    await expectConflict(key, () => repo().insert(key, { from: '2022-01-01', to: '2022-02-01' }, { rate: '3' }, { expect: String(t1) }))

    // The same instant written with an offset is the same expectation.
    const { systemTime: t3 } = await repo().correct(key, { at: '2023-03-15' }, { rate: '2.5' }, { expect: withOffset(String(t2)) })
    expect(t3).not.toBeNull()
    expect(await content(key)).toEqual([
      ['2023-01-01', '2023-03-01', '1'],
      ['2023-03-01', '2023-04-01', '2.5'],
      ['2023-04-01', null, '1'],
    ])
  })

  it("expect as a Date made from an unchanged write's systemTime is an InvalidInputError, not a ConflictError; messages say set, not setFrom", async () => {
    const key = newKey()
    const w = await repo().set(key, { from: '2023-01-01' }, { rate: '1' })
    const error = await rejection(repo().set(key, { from: '2023-01-01' }, { rate: '1' }, { expect: new Date(String(w.systemTime)) as never }))
    expect(error).toBeInstanceOf(InvalidInputError)
    expect((error as Error).message).toMatch(/^bitemporal: set: expect takes the systemTime string/)
    // The string itself, unchanged since, succeeds (and writes nothing: same values).
    expect(await repo().set(key, { from: '2023-01-01' }, { rate: '1' }, { expect: String(w.systemTime) })).toMatchObject({ systemTime: null })
    await repo().set(key, { from: '2023-02-01' }, { rate: '2' })
    const conflict = await rejection(repo().set(key, { from: '2023-03-01' }, { rate: '3' }, { expect: String(w.systemTime) }))
    expect(conflict).toBeInstanceOf(ConflictError)
    expect((conflict as Error).message).toMatch(/^bitemporal: set on rates: /)
  })

  it('a delete is a change: expecting the time before it conflicts; expecting the delete’s time succeeds', async () => {
    const key = newKey()
    const { systemTime: t1 } = await repo().set(key, { from: '2023-01-01' }, { rate: '1' })
    const { systemTime: t2 } = await repo().delete(key, { from: '2023-03-01', to: '2023-04-01' })
    expect(await repo().lastChange(key)).toBe(t2)
    await expectConflict(key, () => repo().update(key, { from: '2023-01-01' }, { rate: '2' }, { expect: String(t1) }))

    // Deleting everything leaves no current row; the delete's time is still the last change.
    const { systemTime: t3 } = await repo().delete(key, { from: '2023-01-01' }, { expect: String(t2) })
    expect(await repo().timeline(key)).toEqual([])
    expect(await repo().lastChange(key)).toBe(t3)
    await expectConflict(key, () => repo().set(key, { from: '2023-01-01' }, { rate: '3' }, { expect: String(t2) }))
    await expectConflict(key, () => repo().insert(key, { from: '2023-01-01' }, { rate: '3' }, { expect: String(t1) }))
    await repo().insert(key, { from: '2023-01-01' }, { rate: '3' }, { expect: String(t3) })
    expect(await content(key)).toEqual([['2023-01-01', null, '3']])
  })

  it('a ConflictError is not retried by the transaction helper, and rolls back the transaction', async () => {
    const key = newKey()
    const other = newKey()
    const { systemTime: t1 } = await repo().set(key, { from: '2023-01-01' }, { rate: '1' })
    await repo().set(key, { from: '2023-02-01' }, { rate: '2' })
    let attempts = 0
    const error = await rejection(
      repo().transaction(async (r) => {
        attempts++
        await r.set(other, { from: '2023-01-01' }, { rate: '9' })
        return r.set(key, { from: '2023-03-01' }, { rate: '3' }, { expect: String(t1) })
      }),
    )
    expect(error).toBeInstanceOf(ConflictError)
    expect(attempts).toBe(1)
    expect(await repo().history(other)).toEqual([])
  })

  it('two concurrent writers with the same expect on different rows of the key: only one may succeed', async () => {
    // Each checks expect against what is committed when its statement starts;
    // neither sees the other's uncommitted change. If B does not wait for A,
    // both succeed, and B's optimistic check did not protect anything.
    const key = newKey()
    await repo().set(key, { from: '2023-01-01', to: '2023-02-01' }, { rate: '1' })
    await repo().set(key, { from: '2023-02-01', to: '2023-03-01' }, { rate: '1' })
    const expected = String(await repo().lastChange(key))

    const a = await connect()
    const trxA = await begin(a.db)
    await repo(trxA).update(key, { from: '2023-01-10', to: '2023-01-20' }, { rate: '2' }, { expect: expected })

    const b = await connect()
    const pendingB = track(repo(b.db).update(key, { from: '2023-02-10', to: '2023-02-20' }, { rate: '3' }, { expect: expected }))
    const outcome = await blockedOrSettled(database().db, b.pid, pendingB)
    await trxA.commit().execute()
    const resultB = await pendingB.promise.then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    )
    expect('error' in resultB, `B succeeded with an outdated expect (B ${outcome.state} before A committed)`).toBe(true)
    if ('error' in resultB) expect(resultB.error).toBeInstanceOf(ConflictError)
    expect((await content(key)).some(([, , rate]) => rate === '3')).toBe(false)
  })
})
