import { setTimeout as pause } from 'node:timers/promises'
import { type Kysely, sql } from 'kysely'
import { beforeAll, expect, it } from 'vitest'
import { BitemporalError } from '../../src/errors/errors.js'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import type { WriteResult } from '../../src/repository/repository.js'
import { createTable } from '../../src/schema/create-table.js'
import { alterTable } from '../../src/schema/alter-table/alter-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { countingPool } from '../support/counting-pool.js'
import { useTestDatabase } from '../support/database.js'
import { onEveryConnection } from '../support/every-connection.js'
import { ownConnections } from '../support/own-connections.js'

// Writers in flight during a schema change that takes ACCESS EXCLUSIVE
// (docs/drivers.md, "Schema changes"): on a pool whose every connection holds
// the table's prepared statements, each write lands before the change or
// after it, none is lost or recorded twice, none surfaces an untyped error,
// and every connection writes right after the change.

const database = useTestDatabase()
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tables made by the tests
type Db = Kysely<any>
const { connect, adopt } = ownConnections(() => database().url)

const stock = defineTable({ name: 'stock', key: { sku: 'text' }, values: { qty: 'integer not null', note: 'text' } })
const stockWidened = defineTable({ name: 'stock', key: { sku: 'text' }, values: { qty: 'bigint not null', note: 'text' } })

const CONNECTIONS = 4
const WRITERS = 6
const SHARED = 'shared'

beforeAll(async () => {
  await install(database().db)
  await createTable(database().db, stock)
})

/**
 * The schema change, alterTable in the caller's transaction: `qty` from
 * integer to bigint, under the table's ACCESS EXCLUSIVE lock, which it takes
 * after its unlocked catalog reads. `holding` runs while the lock is held,
 * before COMMIT.
 */
async function widenQuantity(db: Db, holding: () => Promise<void>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await alterTable(trx, stockWidened)
    await holding()
  })
}

/**
 * How many backends wait, directly or through others, for a lock that `pid`
 * holds. Through others too: a writer that queues for its key's lock behind
 * a writer blocked by `pid` waits for `pid` as well, and with every pooled
 * connection in that queue only one backend waits on `pid` itself.
 */
async function waitingFor(observer: Db, pid: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    with recursive waiting (pid) as (
      select pid from pg_stat_activity where ${pid} = any(pg_blocking_pids(pid))
      union
      select a.pid from pg_stat_activity a join waiting w on w.pid = any(pg_blocking_pids(a.pid))
    )
    select count(*)::int as n from waiting`.execute(observer)
  return rows[0]?.n ?? 0
}

interface Attempt {
  readonly sku: string
  readonly from: string
  readonly qty: number
  readonly outcome: { readonly result: WriteResult } | { readonly error: unknown }
}

/** Day `n` after 2024-01-01: each write gets a day of its own, so each inserts one version and closes none. */
function day(n: number): string {
  return new Date(Date.UTC(2024, 0, 1 + n)).toISOString().slice(0, 10)
}

it('writers in flight land before or after the change, none lost or doubled, none untyped; every connection writes after it', async () => {
  const db = adopt(countingPool({ connectionString: database().url, max: CONNECTIONS })).db
  const repo = bitemporal(db, stock)
  // Warm: every connection prepares the writes and reads the writers use.
  await onEveryConnection(db, CONNECTIONS, async (connection, index) => {
    const warm = bitemporal(connection, stock)
    await warm.set({ sku: `warm${String(index)}` }, { from: day(0), to: day(1) }, { qty: 1, note: null })
    await warm.asOf({ sku: `warm${String(index)}` }, { validAt: day(0) })
    await warm.history({ sku: `warm${String(index)}` })
  })

  const attempts: Attempt[] = []
  let phase: 'before' | 'during' | 'after' = 'before'
  let writesAfter = 0
  const writer = async (index: number): Promise<void> => {
    for (let n = 0; phase !== 'after' || writesAfter < WRITERS * 3; n++) {
      // Every other write goes to the key all writers share; days never repeat across writers.
      const sku = n % 2 === 0 ? `w${String(index)}` : SHARED
      const from = day(1 + n * WRITERS + index)
      const qty = index * 100_000 + n
      const wasAfter = phase === 'after'
      try {
        attempts.push({ sku, from, qty, outcome: { result: await repo.set({ sku }, { from, to: day(2 + n * WRITERS + index) }, { qty, note: `w${String(index)}` }) } })
      } catch (error) {
        attempts.push({ sku, from, qty, outcome: { error } })
      }
      if (wasAfter) writesAfter++
    }
  }
  const writers = Array.from({ length: WRITERS }, (_, index) => writer(index))

  const changer = await connect()
  const observer = await connect()
  // Some writes land before the change.
  while (attempts.length < WRITERS * 2) await pause(5)
  let blocked = 0
  // phase turns 'after' even when the change fails or the test times out: the
  // writers then stop, rather than spin on a pool the teardown has ended.
  try {
    await widenQuantity(changer.db, async () => {
      phase = 'during'
      // Hold the lock until writers queue behind it: they are in flight across the change.
      while ((blocked = await waitingFor(observer.db, changer.pid)) < 2) await pause(5)
    })
  } finally {
    phase = 'after'
  }
  await Promise.all(writers)
  expect(blocked).toBeGreaterThanOrEqual(2)

  const rejected = attempts.filter((attempt) => 'error' in attempt.outcome)
  for (const { outcome } of rejected) expect('error' in outcome && outcome.error).toBeInstanceOf(BitemporalError)
  const resolved = attempts.filter((attempt) => 'result' in attempt.outcome)
  expect(resolved.length).toBeGreaterThan(WRITERS * 5)

  // Exactly the resolved writes, each once: one version per write, on its day, at its system time.
  const keys = new Set(attempts.map((attempt) => attempt.sku))
  for (const sku of keys) {
    const mine = resolved.filter((attempt) => attempt.sku === sku)
    const history = await bitemporal(database().db, stockWidened).history({ sku })
    const recorded = history.map((version) => [version.effective.from, version.values.qty, version.system.from, version.system.to])
    const expected = mine.map(({ from, qty, outcome }) => [from, String(qty), 'result' in outcome ? outcome.result.systemTime : null, null])
    const byDay = (a: unknown[], b: unknown[]): number => String(a[0]).localeCompare(String(b[0]))
    expect(recorded.sort(byDay)).toEqual(expected.sort(byDay))
  }
  for (const { outcome } of resolved) expect('result' in outcome && [outcome.result.closed, outcome.result.inserted]).toEqual([0, 1])

  // Invariants 1 and 4 of docs/semantics.md §2 over the whole table.
  const { rows } = await sql<{ overlaps: number; bad: number }>`
    select (select count(*)::int from stock a join stock b
              on a.sku = b.sku and a.ctid <> b.ctid and a.effective && b.effective and a.system && b.system) as overlaps,
           (select count(*)::int from stock
              where isempty(effective) or isempty(system) or lower_inf(system) or upper(system) <= lower(system)) as bad`.execute(database().db)
  expect(rows[0]).toEqual({ overlaps: 0, bad: 0 })
  const { rows: columns } = await sql<{ type: string }>`
    select format_type(atttypid, atttypmod) as type from pg_attribute where attrelid = 'stock'::regclass and attname = 'qty'`.execute(database().db)
  expect(columns[0]?.type).toBe('bigint')

  // Every pooled connection, with the statements it prepared before the change, writes and reads once more.
  const afterwards = await onEveryConnection(db, CONNECTIONS, async (connection, index) => {
    const sku = `after${String(index)}`
    const written = await bitemporal(connection, stock).set({ sku }, { from: day(0) }, { qty: 2_000_000_000, note: 'after' })
    const read = await bitemporal(connection, stock).asOf({ sku }, { validAt: day(0) })
    return [written.inserted, read?.values.qty]
  })
  expect(afterwards).toEqual(Array(CONNECTIONS).fill([1, 2_000_000_000]))
})
