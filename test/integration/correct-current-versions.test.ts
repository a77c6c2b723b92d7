import { setTimeout as delay } from 'node:timers/promises'
import { type Kysely, sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { BitemporalError, ConcurrentWriteError } from '../../src/errors/errors.js'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { alterTable } from '../../src/schema/alter-table/alter-table.js'
import { correctCurrentVersions, type CorrectCurrentVersionsProgress } from '../../src/schema/alter-table/correct-current-versions.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'
import { track, type Tracked } from '../support/lock-wait.js'
import { rejection } from '../support/rejection.js'
import { standInAlterTable } from '../support/stand-in-alter-table.js'

// The "recorded correction" reading of a default added to a table with
// history (docs/semantics.md §5a): current versions receive the value at a
// system time of their own, history keeps reading null.

const database = useTestDatabase()
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw SQL on the tables the test creates
const db = (): Kysely<any> => database().db

const before = defineTable({ name: 'priced', key: { sku: 'text' }, values: { net: 'numeric' }, audit: true })
const after = defineTable({ name: 'priced', key: { sku: 'text' }, values: { net: 'numeric', currency: "text default 'USD'" }, audit: true })
const addCurrency = [`alter table "priced" add column "currency" text`, `alter table "priced" alter column "currency" set default 'USD'`]

interface Row {
  sku: string
  net: string
  currency: string | null
  effective: string
  system: string
  recorded_by: string
  recorded_reason: string | null
  closed_by: string | null
  closed_reason: string | null
}

/** Every row of the audited table, `currency` null before the column exists. */
async function rows(): Promise<Row[]> {
  const result = await sql<Row>`
    select sku, net::text, to_jsonb(t) ->> 'currency' as currency, effective::text, system::text,
      recorded_by, recorded_reason, closed_by, closed_reason
    from priced as t order by sku, lower(effective), lower(system)`.execute(db())
  return result.rows
}

beforeAll(async () => {
  await install(db())
})

describe('correcting the current versions of an added column', () => {
  const writer = () => bitemporal(db(), before)
  const reader = () => bitemporal(db(), after)
  let knownBefore = ''
  let history: Row[] = []
  const progress: CorrectCurrentVersionsProgress[] = []

  beforeAll(async () => {
    await createTable(db(), before)
    const audit = { actor: 'clerk' }
    await writer().set({ sku: 'A' }, { from: '2024-01-01' }, { net: '10' }, audit)
    await writer().update({ sku: 'A' }, { from: '2024-03-01' }, { net: '11' }, audit) // A: one closed, two current
    await writer().set({ sku: 'B' }, { from: '2024-01-01' }, { net: '20' }, audit)
    await writer().set({ sku: 'C' }, { from: '2024-01-01' }, { net: '30' }, audit)
    await writer().delete({ sku: 'C' }, { from: '2024-01-01' }, audit) // C: nothing current
    await writer().set({ sku: 'D' }, { from: '2024-01-01', to: '2024-06-01' }, { net: '40' }, audit)
    const last = await writer().set({ sku: 'E' }, { from: '2024-01-01' }, { net: '50' }, audit)
    knownBefore = last.systemTime ?? ''
    history = await rows()
    await standInAlterTable(db(), after, addCurrency)
  })

  it('closes each current version whose column is null and inserts it again with the default, in batches, with progress', async () => {
    const result = await correctCurrentVersions(db(), after, {
      column: 'currency', actor: 'migration 42', reason: 'all prices are in USD', batchSize: 2, onProgress: (p) => progress.push(p),
    })
    // Keys A, B, D, E have current versions (A two); C has none.
    expect(result).toEqual({ keys: 4, versions: 5, batches: 2 })
    expect(progress).toEqual([{ done: 2, total: 4 }, { done: 4, total: 4 }])

    const now = await rows()
    const wasCurrent = history.filter((row) => row.system.endsWith(',)'))
    // History version by version: every row recorded before is still there, with its values and
    // null in the new column; those that were current are now closed at the correction's T, by its actor.
    const old = now.filter((row) => row.recorded_by === 'clerk')
    const recorded = (row: Row): unknown[] => [row.sku, row.net, row.currency, row.effective, row.recorded_by, row.recorded_reason]
    expect(old.map(recorded)).toEqual(history.map((row) => recorded({ ...row, currency: null })))
    for (const [index, row] of old.entries()) {
      const earlier = history[index]
      if (earlier?.system.endsWith(',)') === true) {
        expect(row.system.startsWith(earlier.system.slice(0, -1))).toBe(true)
        expect(row.system.endsWith(')')).toBe(true)
        expect([row.closed_by, row.closed_reason]).toEqual(['migration 42', 'all prices are in USD'])
      } else {
        expect(row).toEqual({ ...earlier, currency: null })
      }
    }
    // The current versions: the same keys, values and valid times, with the value, from the T that closed their predecessor.
    const current = now.filter((row) => row.system.endsWith(',)'))
    expect(current.map((row) => [row.sku, row.net, row.effective, row.currency, row.recorded_by, row.recorded_reason])).toEqual(
      wasCurrent.map((row) => [row.sku, row.net, row.effective, 'USD', 'migration 42', 'all prices are in USD']),
    )
    for (const row of current) {
      const predecessor = old.find((o) => o.sku === row.sku && o.effective === row.effective && !o.system.endsWith(',)') && o.closed_by === 'migration 42')
      expect(predecessor?.system.split(',')[1]?.slice(0, -1)).toBe(row.system.slice(1).split(',')[0])
    }
    // Batches are transactions of their own: two system times.
    expect(new Set(current.map((row) => row.system)).size).toBe(2)
  })

  it('a read known before the correction still sees null; current knowledge sees the value', async () => {
    expect((await reader().asOf({ sku: 'A' }, { validAt: '2024-04-01', knownAt: knownBefore }))?.values).toEqual({ net: '11', currency: null })
    expect((await reader().asOf({ sku: 'A' }, { validAt: '2024-04-01' }))?.values).toEqual({ net: '11', currency: 'USD' })
    expect((await reader().timeline({ sku: 'B' }, { knownAt: knownBefore })).map((v) => v.values.currency)).toEqual([null])
  })

  it('a second run does nothing', async () => {
    const corrected = await rows()
    const seen: CorrectCurrentVersionsProgress[] = []
    const again = await correctCurrentVersions(db(), after, { column: 'currency', actor: 'migration 42', onProgress: (p) => seen.push(p) })
    expect(again).toEqual({ keys: 0, versions: 0, batches: 0 })
    expect(seen).toEqual([])
    expect(await rows()).toEqual(corrected)
  })

  it('writes work after it, and an update of a corrected key keeps the value', async () => {
    await reader().update({ sku: 'B' }, { from: '2024-05-01' }, { net: '21' }, { actor: 'clerk' })
    expect((await reader().timeline({ sku: 'B' })).map((v) => [v.values.net, v.values.currency])).toEqual([['20', 'USD'], ['21', 'USD']])
  })

  it('refuses bad options, writing nothing', async () => {
    const unchanged = await rows()
    const cases: [string, unknown][] = [
      ['unknown option', { column: 'currency', actor: 'x', batch: 10 }],
      ['no such column', { column: 'curency', actor: 'x' }],
      ['column without a default', { column: 'net', actor: 'x' }],
      ['audited table without actor', { column: 'currency' }],
      ['batch size zero', { column: 'currency', actor: 'x', batchSize: 0 }],
      ['onProgress not a function', { column: 'currency', actor: 'x', onProgress: 'log' }],
    ]
    for (const [, options] of cases) {
      const error = await rejection(correctCurrentVersions(db(), after, options as never))
      expect(error).toBeInstanceOf(BitemporalError)
      expect((error as BitemporalError).code).toBe('INVALID_INPUT')
    }
    const inTransaction = await rejection(db().transaction().execute((trx) => correctCurrentVersions(trx, after, { column: 'currency', actor: 'x' })))
    expect((inTransaction as BitemporalError).code).toBe('INVALID_INPUT')
    expect(await rows()).toEqual(unchanged)
  })
})

describe('correcting while writers write the same keys', () => {
  const plain = defineTable({ name: 'busy', key: { id: 'integer' }, values: { amount: 'numeric' } })
  const next = defineTable({ name: 'busy', key: { id: 'integer' }, values: { amount: 'numeric', unit: "text default 'kg'" } })
  const keys = Array.from({ length: 30 }, (_, i) => i + 1)
  const writers = 3
  const rounds = 6

  it('loses no write, surfaces no untyped error, and leaves no current version without the value', async () => {
    await createTable(db(), plain)
    for (const id of keys) await bitemporal(db(), plain).set({ id }, { from: '2024-01-01' }, { amount: '0' })
    await standInAlterTable(db(), next, [`alter table "busy" add column "unit" text`, `alter table "busy" alter column "unit" set default 'kg'`])

    const repo = bitemporal(db(), next)
    const untyped: unknown[] = []
    // Writer w owns the month w+1 of 2025 of every key and records the last amount it wrote there.
    const lastWritten = new Map<string, string>()
    const write = async (w: number): Promise<void> => {
      for (let round = 0; round < rounds; round++) {
        for (const id of keys) {
          const amount = `${String(w)}.${String(round)}`
          const from = `2025-0${String(w + 1)}-01`
          const to = `2025-0${String(w + 2)}-01`
          for (;;) {
            try {
              await repo.update({ id }, { from, to }, { amount })
              break
            } catch (error) {
              if (!(error instanceof ConcurrentWriteError)) {
                untyped.push(error)
                return
              }
            }
          }
          lastWritten.set(`${String(id)}/${from}`, amount)
        }
      }
    }
    const progress: CorrectCurrentVersionsProgress[] = []
    const [result] = await Promise.all([
      correctCurrentVersions(db(), next, { column: 'unit', batchSize: 4, onProgress: (p) => progress.push(p) }),
      ...Array.from({ length: writers }, (_, w) => write(w)),
    ])
    expect(untyped).toEqual([])
    expect(result.keys).toBeGreaterThanOrEqual(keys.length)
    expect(progress.length).toBeGreaterThanOrEqual(Math.ceil(keys.length / 4))

    // None lost: each writer's last amount is what current knowledge holds in its month.
    for (const [where, amount] of lastWritten) {
      const [id, from] = where.split('/') as [string, string]
      expect((await repo.asOf({ id: Number(id) }, { validAt: from }))?.values.amount).toBe(amount)
    }
    const missing = await sql<{ n: string }>`select count(*)::text as n from busy where upper_inf(system) and unit is null`.execute(db())
    expect(missing.rows[0]?.n).toBe('0')
    // The values before 2025 are the first ones, now with the unit.
    for (const id of keys) expect((await repo.asOf({ id }, { validAt: '2024-06-01' }))?.values).toEqual({ amount: '0', unit: 'kg' })
  })
})

describe('correcting a key that a writer holds', () => {
  const plain = defineTable({ name: 'held', key: { id: 'integer' }, values: { amount: 'numeric' } })
  const next = defineTable({ name: 'held', key: { id: 'integer' }, values: { amount: 'numeric', unit: "text default 'kg'" } })

  beforeAll(async () => {
    await createTable(db(), plain)
    for (const id of [1, 2, 3]) await bitemporal(db(), plain).set({ id }, { from: '2024-01-01' }, { amount: '0' })
    await standInAlterTable(db(), next, [`alter table "held" add column "unit" text`, `alter table "held" alter column "unit" set default 'kg'`])
  })

  /** A write of `next` in a transaction left open until `release()`: it holds the key's lock. */
  async function openWrite(id: number, amount: string): Promise<{ release: () => void; done: Promise<unknown> }> {
    let release = (): void => undefined
    const released = new Promise<void>((resolve) => (release = resolve))
    let written = (): void => undefined
    const holding = new Promise<void>((resolve) => (written = resolve))
    const done = db().transaction().execute(async (trx) => {
      await bitemporal(trx, next).update({ id }, { from: '2024-06-01' }, { amount })
      written()
      await released
    })
    await Promise.race([holding, done])
    return { release, done }
  }

  /** The statement of the correction that waits for a lock, once one does (polling only paces; nothing depends on time). */
  async function waitingStatement(correction: Tracked<unknown>): Promise<string> {
    for (;;) {
      const { rows: waiting } = await sql<{ query: string }>`
        select query from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock' and query like '-- bitemporal: % of "held"%'`.execute(db())
      if (waiting[0] !== undefined) return waiting[0].query
      if (correction.settled()) throw new Error('the correction finished without waiting for the writer')
      await delay(2)
    }
  }

  it('waits for the writer\'s key lock before reading the key, then corrects what the writer wrote', async () => {
    const writer = await openWrite(2, '9')
    const correction = track(correctCurrentVersions(db(), next, { column: 'unit' }))
    try {
      // The writer's new versions (unit null, carried by update) are not committed yet: reading the
      // key before its lock is free would miss them, and leave them null.
      expect(await waitingStatement(correction)).toMatch(/^-- bitemporal: lock the next keys/)
    } finally {
      writer.release()
      await writer.done
    }
    expect(await correction.promise).toEqual({ keys: 3, versions: 4, batches: 1 })
    const timeline = await bitemporal(db(), next).timeline({ id: 2 })
    expect(timeline.map((v) => [v.effective.from, v.values])).toEqual([
      ['2024-01-01', { amount: '0', unit: 'kg' }],
      ['2024-06-01', { amount: '9', unit: 'kg' }],
    ])
  })

  it('leaves a key that a later transaction wrote to a later batch, losing nothing', async () => {
    // Fresh null current versions to correct: a set that names unit null on every key.
    for (const id of [1, 2, 3]) await bitemporal(db(), next).set({ id }, { from: '2024-01-01' }, { amount: '1', unit: null })
    const writer = await openWrite(1, '7')
    const correction = track(correctCurrentVersions(db(), next, { column: 'unit' }))
    let laterTime: string | null = null
    try {
      expect(await waitingStatement(correction)).toMatch(/^-- bitemporal: lock the next keys/)
      // The batch started and waits for key 1; key 3 is not locked yet. A write of key 3 that starts
      // now commits with a system time after the batch's: the batch cannot write key 3 at its own.
      const written = await bitemporal(db(), next).update({ id: 3 }, { from: '2024-09-01' }, { amount: '3' })
      laterTime = written.systemTime
    } finally {
      writer.release()
      await writer.done
    }
    // Keys 1 and 2 in the first batch; key 3, left out by it, in a second pass.
    expect(await correction.promise).toEqual({ keys: 3, versions: 5, batches: 2 })
    const timeline = await bitemporal(db(), next).timeline({ id: 3 })
    expect(timeline.map((v) => [v.effective.from, v.values])).toEqual([
      ['2024-01-01', { amount: '1', unit: 'kg' }],
      ['2024-09-01', { amount: '3', unit: 'kg' }],
    ])
    // The later write is in history as it was made, before the correction of key 3.
    const known = await bitemporal(db(), next).timeline({ id: 3 }, { knownAt: laterTime ?? '' })
    expect(known.map((v) => v.values)).toEqual([{ amount: '1', unit: null }, { amount: '3', unit: null }])
  })
})

describe("alterTable with { defaults: { c: 'current-versions' } }", () => {
  const plain = defineTable({ name: 'rated', key: { id: 'integer' }, values: { rate: 'numeric' }, audit: true })
  const next = defineTable({ name: 'rated', key: { id: 'integer' }, values: { rate: 'numeric', unit: "text default 'pct'" }, audit: true })

  it('adds the column, corrects the current versions after the change, and history reads null', async () => {
    await createTable(db(), plain)
    await bitemporal(db(), plain).set({ id: 1 }, { from: '2024-01-01' }, { rate: '5' }, { actor: 'clerk' })
    const { systemTime } = await bitemporal(db(), plain).update({ id: 1 }, { from: '2024-06-01' }, { rate: '6' }, { actor: 'clerk' })
    const refused = await rejection(alterTable(db(), next, { defaults: { unit: 'current-versions' } }))
    expect((refused as BitemporalError).code).toBe('INVALID_INPUT') // audited: actor needed, and nothing was changed
    const columns = await sql<{ n: string }>`select count(*)::text as n from pg_attribute where attrelid = 'rated'::regclass and attname = 'unit'`.execute(db())
    expect(columns.rows[0]?.n).toBe('0')

    await alterTable(db(), next, { defaults: { unit: 'current-versions' }, actor: 'migration 7', reason: 'rates are percentages' })
    const repo = bitemporal(db(), next)
    expect((await repo.timeline({ id: 1 })).map((v) => [v.values, v.audit?.recordedBy])).toEqual([
      [{ rate: '5', unit: 'pct' }, 'migration 7'],
      [{ rate: '6', unit: 'pct' }, 'migration 7'],
    ])
    expect((await repo.timeline({ id: 1 }, { knownAt: systemTime ?? '' })).map((v) => v.values)).toEqual([
      { rate: '5', unit: null },
      { rate: '6', unit: null },
    ])
    // New rows get the default the change set.
    await repo.insert({ id: 2 }, { from: '2024-01-01' }, { rate: '1' }, { actor: 'clerk' })
    expect((await repo.asOf({ id: 2 }, { validAt: '2024-01-01' }))?.values).toEqual({ rate: '1', unit: 'pct' })
  })
})
