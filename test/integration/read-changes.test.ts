import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { install } from '../../src/install/install.js'
import type { Change } from '../../src/read/change.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import type { Repository, WriteResult } from '../../src/repository/repository.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'
import { type LoggedKysely, loggedKysely } from '../support/logged-kysely.js'
import { rejectsWithCode } from '../support/rejects-with-code.js'
import { instantToMicros, microsToInstant } from '../support/timeline-model.js'

// Issue 4, item 4: "what happened to entity X between Tuesday and Thursday",
// asserted and retracted versions in [since, until), with actor and reason.

const database = useTestDatabase()

const taxRates = defineTable({
  name: 'tax_rates',
  key: { state_id: 'integer', tax_type: 'text' },
  values: { rate: 'numeric not null' },
  audit: true,
})
const prices = defineTable({ name: 'prices', key: { sku: 'text' }, values: { cents: 'integer not null' } })

const KEY = { state_id: 1, tax_type: 'income_tax' }
const OTHER = { state_id: 2, tax_type: 'income_tax' }

let repo: Repository<typeof taxRates>
let logged: LoggedKysely

/** System times of the story's writes, T1 < … < T6. */
const T: string[] = []

const plus = (instant: string, micros: number): string => microsToInstant(instantToMicros(instant) + BigInt(micros))

function at(result: WriteResult): string {
  if (result.systemTime === null) throw new Error('the setup write changed nothing')
  return result.systemTime
}

/** A change as a compact tuple: kind, step name of its system time, key, rate, effective, actor, reason. */
function row(change: Change<typeof taxRates>): unknown[] {
  const step = T.indexOf(change.systemTime)
  return [
    change.kind,
    step === -1 ? change.systemTime : `T${String(step + 1)}`,
    change.key.state_id,
    change.values.rate,
    change.effective.from,
    change.effective.to,
    change.audit?.actor,
    change.audit?.reason,
  ]
}

beforeAll(async () => {
  await install(database().db)
  await createTable(database().db, taxRates)
  await createTable(database().db, prices)
  logged = loggedKysely(database().url)
  repo = bitemporal(logged.db, taxRates)
  // The tax-rate story of docs/semantics.md §3, each step by someone, then a
  // change to another key, then one transaction over both keys, then a delete.
  T.push(at(await repo.set(KEY, { from: '2023-01-01' }, { rate: '0.15' }, { actor: 'alice', reason: 'new law' })))
  T.push(at(await repo.set(KEY, { from: '2023-01-01' }, { rate: '0.19' }, { actor: 'bob', reason: 'typo in 0.15' })))
  T.push(at(await repo.set(KEY, { from: '2022-12-01' }, { rate: '0.14' }, { actor: 'carol' })))
  T.push(at(await repo.set(KEY, { from: '2023-02-01' }, { rate: '0.25' }, { actor: 'dave', reason: 'rate rise' })))
  T.push(at(await repo.set(OTHER, { from: '2023-01-01' }, { rate: '0.05' }, { actor: 'erin' })))
  const both = await repo.transaction(async (inside) => {
    // Written in key order 2, 1: the list is ordered by key, not by statement.
    await inside.update(OTHER, { from: '2023-06-01' }, { rate: '0.06' }, { actor: 'frank', reason: 'batch' })
    return inside.delete(KEY, { from: '2023-03-01' }, { actor: 'frank', reason: 'batch' })
  })
  T.push(at(both))
})

afterAll(async () => {
  await logged.db.destroy()
})

beforeEach(() => {
  logged.sent.length = 0
})

describe('changes after a sequence of corrections', () => {
  it('lists every assertion and retraction of the key, in order, with actor and reason', async () => {
    const changes = await repo.changes({ since: T[0] ?? '', key: KEY })
    expect(changes.map(row)).toEqual([
      ['asserted', 'T1', 1, '0.15', '2023-01-01', null, 'alice', 'new law'],
      // A correction: the old version retracted, its replacement asserted, at one instant.
      ['retracted', 'T2', 1, '0.15', '2023-01-01', null, 'bob', 'typo in 0.15'],
      ['asserted', 'T2', 1, '0.19', '2023-01-01', null, 'bob', 'typo in 0.15'],
      ['asserted', 'T3', 1, '0.14', '2022-12-01', '2023-01-01', 'carol', null],
      // A future change: the version covering Feb 1 retracted, re-asserted up to Feb 1, the new rate after.
      ['retracted', 'T4', 1, '0.19', '2023-01-01', null, 'dave', 'rate rise'],
      ['asserted', 'T4', 1, '0.19', '2023-01-01', '2023-02-01', 'dave', 'rate rise'],
      ['asserted', 'T4', 1, '0.25', '2023-02-01', null, 'dave', 'rate rise'],
      // A delete from Mar 1: the open version retracted, its part before Mar 1 asserted again.
      ['retracted', 'T6', 1, '0.25', '2023-02-01', null, 'frank', 'batch'],
      ['asserted', 'T6', 1, '0.25', '2023-02-01', '2023-03-01', 'frank', 'batch'],
    ])
    expect(changes[0]).toEqual({
      kind: 'asserted',
      systemTime: T[0],
      key: KEY,
      values: { rate: '0.15' },
      effective: { from: '2023-01-01', to: null },
      audit: { actor: 'alice', reason: 'new law' },
    })
    expect(logged.sent).toHaveLength(1)
  })

  it('returns frozen changes in a frozen list', async () => {
    const changes = await repo.changes({ since: T[0] ?? '', key: KEY })
    expect(Object.isFrozen(changes)).toBe(true)
    for (const change of changes) {
      expect(Object.isFrozen(change)).toBe(true)
      expect(Object.isFrozen(change.key)).toBe(true)
      expect(Object.isFrozen(change.values)).toBe(true)
      expect(Object.isFrozen(change.effective)).toBe(true)
      expect(Object.isFrozen(change.audit)).toBe(true)
    }
  })
})

describe('one key or all keys', () => {
  it('without a key, lists every key, ordered by system time and then by key', async () => {
    const changes = await repo.changes({ since: T[3] ?? '' })
    expect(changes.map(row)).toEqual([
      ['retracted', 'T4', 1, '0.19', '2023-01-01', null, 'dave', 'rate rise'],
      ['asserted', 'T4', 1, '0.19', '2023-01-01', '2023-02-01', 'dave', 'rate rise'],
      ['asserted', 'T4', 1, '0.25', '2023-02-01', null, 'dave', 'rate rise'],
      ['asserted', 'T5', 2, '0.05', '2023-01-01', null, 'erin', null],
      // One transaction, two keys: key 1 first although it was written second.
      ['retracted', 'T6', 1, '0.25', '2023-02-01', null, 'frank', 'batch'],
      ['asserted', 'T6', 1, '0.25', '2023-02-01', '2023-03-01', 'frank', 'batch'],
      ['retracted', 'T6', 2, '0.05', '2023-01-01', null, 'frank', 'batch'],
      ['asserted', 'T6', 2, '0.05', '2023-01-01', '2023-06-01', 'frank', 'batch'],
      ['asserted', 'T6', 2, '0.06', '2023-06-01', null, 'frank', 'batch'],
    ])
  })

  it('with a key, lists only that key, the same entries as the full list has for it', async () => {
    const all = await repo.changes({ since: T[0] ?? '' })
    const other = await repo.changes({ since: T[0] ?? '', key: OTHER })
    expect(other.map(row)).toEqual([
      ['asserted', 'T5', 2, '0.05', '2023-01-01', null, 'erin', null],
      ['retracted', 'T6', 2, '0.05', '2023-01-01', null, 'frank', 'batch'],
      ['asserted', 'T6', 2, '0.05', '2023-01-01', '2023-06-01', 'frank', 'batch'],
      ['asserted', 'T6', 2, '0.06', '2023-06-01', null, 'frank', 'batch'],
    ])
    expect(all.filter((c) => c.key.state_id === 2)).toEqual(other)
    expect(all.filter((c) => c.key.state_id === 1)).toEqual(await repo.changes({ since: T[0] ?? '', key: KEY }))
    expect(await repo.changes({ since: T[0] ?? '', key: { state_id: 3, tax_type: 'income_tax' } })).toEqual([])
  })
})

describe('the interval [since, until)', () => {
  const steps = (changes: readonly Change<typeof taxRates>[]): string[] => changes.map((c) => `${c.kind} ${String(T.indexOf(c.systemTime) + 1)}`)

  it('includes a change at since and excludes one at until', async () => {
    for (const key of [KEY, undefined]) {
      const options = key === undefined ? {} : { key }
      // [T2, T4): T2's retraction of T1's version and its assertion, T3; nothing of T4.
      expect(steps(await repo.changes({ since: T[1] ?? '', until: T[3] ?? '', ...options }))).toEqual(['retracted 2', 'asserted 2', 'asserted 3'])
      // One microsecond wide: exactly the changes at T2.
      expect(steps(await repo.changes({ since: T[1] ?? '', until: plus(T[1] ?? '', 1), ...options }))).toEqual(['retracted 2', 'asserted 2'])
      // Just after T2 until just before T3: nothing happened.
      expect(await repo.changes({ since: plus(T[1] ?? '', 1), until: T[2] ?? '', ...options })).toEqual([])
      // Just before T1 until T1: nothing yet.
      expect(await repo.changes({ since: plus(T[0] ?? '', -1), until: T[0] ?? '', ...options })).toEqual([])
    }
  })

  it('finds a retraction at exactly since, for one key too (its row ends where the interval starts)', async () => {
    // T1's version is closed at T2, so its system range [T1, T2) does not overlap [T2, …).
    const changes = await repo.changes({ since: T[1] ?? '', until: plus(T[1] ?? '', 1), key: KEY })
    expect(changes.map(row)[0]).toEqual(['retracted', 'T2', 1, '0.15', '2023-01-01', null, 'bob', 'typo in 0.15'])
  })

  it('without until, runs to the end of history; after the last change it is empty', async () => {
    expect(steps(await repo.changes({ since: T[5] ?? '', key: KEY }))).toEqual(['retracted 6', 'asserted 6'])
    expect(steps(await repo.changes({ since: T[5] ?? '', until: null, key: KEY }))).toEqual(['retracted 6', 'asserted 6'])
    expect(await repo.changes({ since: plus(T[5] ?? '', 1) })).toEqual([])
  })

  it('reads instants with offsets and Dates as the same instants, whatever the session time zone', async () => {
    // T2 written with a +05:30 offset is the same instant, read by a session in another time zone.
    const t2 = T[1] ?? ''
    const micros = instantToMicros(t2) + 5n * 3_600_000_000n + 30n * 60_000_000n
    const shifted = `${microsToInstant(micros).slice(0, -1)}+05:30`
    const elsewhere = new Kysely({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database().url, max: 1, options: '-c TimeZone=America/St_Johns' }) }),
    })
    try {
      const changes = await bitemporal(elsewhere, taxRates).changes({ since: shifted, until: plus(t2, 1), key: KEY })
      expect(steps(changes)).toEqual(['retracted 2', 'asserted 2'])
      expect(changes.map((c) => c.systemTime)).toEqual([t2, t2])
    } finally {
      await elsewhere.destroy()
    }
    // A Date has only milliseconds: the millisecond that contains T3 covers T3.
    const date = new Date(Date.parse(T[2] ?? ''))
    expect(steps(await repo.changes({ since: date, until: new Date(date.getTime() + 1), key: KEY }))).toEqual(['asserted 3'])
  })
})

describe('a table without audit', () => {
  it('has changes without an audit property', async () => {
    const priceRepo = bitemporal(database().db, prices)
    const first = at(await priceRepo.set({ sku: 'A' }, { from: '2024-01-01' }, { cents: 100 }))
    const second = at(await priceRepo.update({ sku: 'A' }, { from: '2024-02-01' }, { cents: 120 }))
    const changes = await priceRepo.changes({ since: first })
    expect(changes).toEqual([
      { kind: 'asserted', systemTime: first, key: { sku: 'A' }, values: { cents: 100 }, effective: { from: '2024-01-01', to: null } },
      { kind: 'retracted', systemTime: second, key: { sku: 'A' }, values: { cents: 100 }, effective: { from: '2024-01-01', to: null } },
      { kind: 'asserted', systemTime: second, key: { sku: 'A' }, values: { cents: 100 }, effective: { from: '2024-01-01', to: '2024-02-01' } },
      { kind: 'asserted', systemTime: second, key: { sku: 'A' }, values: { cents: 120 }, effective: { from: '2024-02-01', to: null } },
    ])
    expect(changes.every((c) => !('audit' in c))).toBe(true)
  })
})

describe('bad input is rejected before anything is sent', () => {
  const untyped = (): { changes(options?: unknown): Promise<unknown> } => repo

  it.each([
    ['no options', undefined],
    ['null options', null],
    ['an array', [T[0]]],
    ['no since', {}],
    ['since null', { since: null }],
    ['since without an offset', { since: '2023-01-01T00:00:00' }],
    ['since as a day', { since: '2023-01-01' }],
    ['since that does not exist', { since: '2023-02-30T00:00:00Z' }],
    ['since as a number', { since: 1_700_000_000_000 }],
    ['an invalid Date', { since: new Date(Number.NaN) }],
    ['until before since', { since: '2023-01-02T00:00:00Z', until: '2023-01-01T00:00:00Z' }],
    ['until equal to since', { since: '2023-01-01T00:00:00Z', until: '2023-01-01T00:00:00.000000Z' }],
    ['until the same instant with an offset', { since: '2023-01-01T00:00:00Z', until: '2023-01-01T01:00:00+01:00' }],
    ['a misspelt option', { since: '2023-01-01T00:00:00Z', untill: '2023-01-02T00:00:00Z' }],
    ['a key with a missing column', { since: '2023-01-01T00:00:00Z', key: { state_id: 1 } }],
    ['a key with a wrong type', { since: '2023-01-01T00:00:00Z', key: { state_id: '1', tax_type: 'income_tax' } }],
    ['a key that is not an object', { since: '2023-01-01T00:00:00Z', key: 1 }],
  ])('%s', async (_, options) => {
    await rejectsWithCode(() => untyped().changes(options), 'INVALID_INPUT')
    expect(logged.sent).toEqual([])
  })

  it('names the misspelt option, and shows since as required in the shape', async () => {
    const error = await rejectsWithCode(() => untyped().changes({ sinse: '2023-01-01T00:00:00Z' }), 'INVALID_INPUT')
    expect(error.message).toBe('bitemporal: changes: unknown option "sinse"; the options are { since, until?, key? }')
    expect(logged.sent).toEqual([])
  })
})
