import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { install } from '../../src/install/install.js'
import type { DiffRow } from '../../src/read/diff/diff.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import type { Repository, WriteResult } from '../../src/repository/repository.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'
import { type LoggedKysely, loggedKysely } from '../support/logged-kysely.js'
import { rejectsWithCode } from '../support/rejects-with-code.js'

// Issue 18, item 1: "what did the corrections made since we closed Q1
// change in our Q1 figures?": where the timeline known at `before` differs
// from the one known at `after`, with who changed it and why.

const database = useTestDatabase()

const taxRates = defineTable({
  name: 'diff_tax_rates',
  key: { state_id: 'integer', tax_type: 'text' },
  values: { rate: 'numeric not null' },
  audit: true,
})
const prices = defineTable({ name: 'diff_prices', key: { sku: 'text' }, values: { cents: 'integer not null', note: 'text' } })

const KEY = { state_id: 1, tax_type: 'income_tax' }
const OTHER = { state_id: 2, tax_type: 'income_tax' }
const UNTOUCHED = { state_id: 3, tax_type: 'income_tax' }

let repo: Repository<typeof taxRates>
let priceRepo: Repository<typeof prices>
let logged: LoggedKysely

/** System times of the story's writes. */
const T: Record<string, string> = {}

function at(result: WriteResult): string {
  if (result.systemTime === null) throw new Error('the setup write changed nothing')
  return result.systemTime
}

/** A diff row as a compact tuple: state, effective, before rate, after rate, and the audit with step names. */
function row(diff: DiffRow<typeof taxRates>): unknown[] {
  const step = (systemTime: string): string => Object.entries(T).find(([, time]) => time === systemTime)?.[0] ?? systemTime
  return [
    diff.key.state_id,
    diff.effective.from,
    diff.effective.to,
    diff.before?.rate ?? null,
    diff.after?.rate ?? null,
    diff.audit?.map((entry) => [step(entry.systemTime), entry.actor, entry.reason]),
  ]
}

beforeAll(async () => {
  await install(database().db)
  await createTable(database().db, taxRates)
  await createTable(database().db, prices)
  logged = loggedKysely(database().url)
  repo = bitemporal(logged.db, taxRates)
  priceRepo = bitemporal(logged.db, prices)
  T['untouched'] = at(await repo.set(UNTOUCHED, { from: '2022-01-01' }, { rate: '0.10' }, { actor: 'zoe' }))
  T['first'] = at(await repo.set(KEY, { from: '2023-01-01' }, { rate: '0.15' }, { actor: 'alice', reason: 'new law' }))
  // Q1 is closed here: the figures were reported as known at this instant.
  T['closed'] = at(await repo.set(OTHER, { from: '2023-01-01' }, { rate: '0.05' }, { actor: 'erin' }))
  // A correction of February, a retroactive insert of December, a deletion from June on.
  T['correction'] = at(await repo.update(KEY, { from: '2023-02-01', to: '2023-03-01' }, { rate: '0.19' }, { actor: 'bob', reason: 'typo' }))
  T['late'] = at(await repo.insert(KEY, { from: '2022-12-01', to: '2023-01-01' }, { rate: '0.14' }, { actor: 'carol', reason: 'late filing' }))
  T['deletion'] = at(await repo.delete(KEY, { from: '2023-06-01' }, { actor: 'dave', reason: 'state left' }))
})

afterAll(async () => {
  await logged.db.destroy()
})

beforeEach(() => {
  logged.sent.length = 0
})

describe('diff of one key after corrections, a retroactive insert and a deletion', () => {
  it('gives each stretch of valid time whose values changed since the period was closed, with who and why', async () => {
    const diff = await repo.diff({ before: T['closed'] ?? '', key: KEY })
    expect(diff.map(row)).toEqual([
      [1, '2022-12-01', '2023-01-01', null, '0.14', [['late', 'carol', 'late filing']]],
      [1, '2023-02-01', '2023-03-01', '0.15', '0.19', [['correction', 'bob', 'typo']]],
      // The correction re-asserted June on with the same rate (not a difference), then the deletion took it away.
      [1, '2023-06-01', null, '0.15', null, [['correction', 'bob', 'typo'], ['deletion', 'dave', 'state left']]],
    ])
    expect(logged.sent).toHaveLength(1)
  })

  it('between two past instants: only what changed in between', async () => {
    const diff = await repo.diff({ before: T['closed'] ?? '', after: T['correction'] ?? '', key: KEY })
    expect(diff.map(row)).toEqual([[1, '2023-02-01', '2023-03-01', '0.15', '0.19', [['correction', 'bob', 'typo']]]])
  })

  it('is empty for a key nobody touched since', async () => {
    expect(await repo.diff({ before: T['untouched'] ?? '', key: UNTOUCHED })).toEqual([])
    expect(await repo.diff({ before: T['closed'] ?? '', key: { state_id: 99, tax_type: 'none' } })).toEqual([])
  })

  it('clamps the rows to the valid-time window', async () => {
    const diff = await repo.diff({ before: T['closed'] ?? '', key: KEY, validFrom: '2022-12-15', validTo: '2023-02-15' })
    expect(diff.map(row)).toEqual([
      [1, '2022-12-15', '2023-01-01', null, '0.14', [['late', 'carol', 'late filing']]],
      [1, '2023-02-01', '2023-02-15', '0.15', '0.19', [['correction', 'bob', 'typo']]],
    ])
  })
})

describe('diff over every key', () => {
  it('gives the keys that changed, ordered by key then effective start', async () => {
    const diff = await repo.diff({ before: T['first'] ?? '' })
    expect(diff.map(row)).toEqual([
      [1, '2022-12-01', '2023-01-01', null, '0.14', [['late', 'carol', 'late filing']]],
      [1, '2023-02-01', '2023-03-01', '0.15', '0.19', [['correction', 'bob', 'typo']]],
      [1, '2023-06-01', null, '0.15', null, [['correction', 'bob', 'typo'], ['deletion', 'dave', 'state left']]],
      [2, '2023-01-01', null, null, '0.05', [['closed', 'erin', null]]],
    ])
    expect(diff[3]?.key).toEqual(OTHER)
  })

  it('with a window, as known at a past instant', async () => {
    const diff = await repo.diff({ before: T['first'] ?? '', after: T['late'] ?? '', validFrom: '2023-01-01', validTo: '2023-04-01' })
    expect(diff.map(row)).toEqual([
      [1, '2023-02-01', '2023-03-01', '0.15', '0.19', [['correction', 'bob', 'typo']]],
      [2, '2023-01-01', '2023-04-01', null, '0.05', [['closed', 'erin', null]]],
    ])
  })

  it('is empty when nothing changed in between', async () => {
    expect(await repo.diff({ before: T['deletion'] ?? '' })).toEqual([])
  })

  it('streams the same rows in the same order, in batches', async () => {
    const streamed: DiffRow<typeof taxRates>[] = []
    for await (const diff of repo.streamDiff({ before: T['first'] ?? '' }, { batchSize: 1 })) streamed.push(diff)
    expect(streamed).toEqual(await repo.diff({ before: T['first'] ?? '' }))
    expect(streamed).toHaveLength(4)
  })
})

describe('diff on a table without audit', () => {
  it('merges adjacent pieces with the same two sides, compares values as stored, and carries no audit', async () => {
    const before = at(await priceRepo.set({ sku: 'a' }, { from: '2024-01-01' }, { cents: 100, note: null }))
    await priceRepo.set({ sku: 'b' }, { from: '2024-01-01' }, { cents: 5, note: 'x' })
    // Two updates that together raise January on; the pieces they leave meet at Feb 1 with the same values.
    await priceRepo.update({ sku: 'a' }, { from: '2024-01-01', to: '2024-02-01' }, { cents: 120 })
    await priceRepo.update({ sku: 'a' }, { from: '2024-02-01' }, { cents: 120 })
    // A null value turned into text is a change; writing the same values again is none.
    await priceRepo.update({ sku: 'b' }, { from: '2024-03-01' }, { note: 'y' })
    const diff = await priceRepo.diff({ before })
    expect(diff).toEqual([
      { key: { sku: 'a' }, effective: { from: '2024-01-01', to: null }, before: { cents: 100, note: null }, after: { cents: 120, note: null } },
      { key: { sku: 'b' }, effective: { from: '2024-01-01', to: '2024-03-01' }, before: null, after: { cents: 5, note: 'x' } },
      { key: { sku: 'b' }, effective: { from: '2024-03-01', to: null }, before: null, after: { cents: 5, note: 'y' } },
    ])
    expect(diff[0]).not.toHaveProperty('audit')
  })
})

describe('diff refuses bad input before sending anything', () => {
  const untyped = (): { diff(options: unknown): Promise<unknown>; streamDiff(options: unknown): AsyncGenerator } =>
    repo

  it.each([
    ['no options', undefined],
    ['no before', {}],
    ['a before without an offset', { before: '2023-01-01T00:00:00' }],
    ['a before that is a day', { before: '2023-01-01' }],
    ['an after before before', { before: '2023-01-02T00:00:00Z', after: '2023-01-01T00:00:00Z' }],
    ['an after equal to before', { before: '2023-01-01T00:00:00Z', after: '2023-01-01T01:00:00+01:00' }],
    ['a reversed window', { before: '2023-01-01T00:00:00Z', validFrom: '2023-02-01', validTo: '2023-01-01' }],
    ['a bad validFrom', { before: '2023-01-01T00:00:00Z', validFrom: '2023-02-30' }],
    ['a key with a missing column', { before: '2023-01-01T00:00:00Z', key: { state_id: 1 } }],
  ])('%s', async (_, options) => {
    await rejectsWithCode(() => untyped().diff(options), 'INVALID_INPUT')
    expect(logged.sent).toEqual([])
  })

  it('names a misspelt option and shows before as required', async () => {
    const error = await rejectsWithCode(() => untyped().diff({ before: '2023-01-01T00:00:00Z', validfrom: '2023-01-01' }), 'INVALID_INPUT')
    expect(error.message).toBe('bitemporal: diff: unknown option "validfrom"; the options are { before, after?, key?, validFrom?, validTo? }')
  })

  it('the stream form checks its options too', async () => {
    await rejectsWithCode(() => untyped().streamDiff({}).next(), 'INVALID_INPUT')
    expect(logged.sent).toEqual([])
  })
})

describe('diff on a table with timestamp valid time', () => {
  const bookings = defineTable({ name: 'diff_bookings', key: { room: 'integer' }, values: { guest: 'text' }, effective: 'timestamp' })

  it('cuts at instants and clamps to a window of instants, whatever the offsets it is given in', async () => {
    await createTable(database().db, bookings)
    const rooms = bitemporal(database().db, bookings)
    const room = { room: 7 }
    const booked = at(await rooms.set(room, { from: '2024-03-01T14:00:00Z', to: '2024-03-04T10:00:00Z' }, { guest: 'ada' }))
    // The stay is cut short by half a day: the guest left on the 3rd at 22:00 UTC (23:00 in +01:00).
    await rooms.delete(room, { from: '2024-03-03T23:00:00+01:00', to: '2024-03-04T10:00:00Z' })
    const rows = await rooms.diff({ before: booked, key: room })
    expect(rows.map((diff) => [diff.effective.from, diff.effective.to, diff.before, diff.after])).toEqual([
      ['2024-03-03T22:00:00.000000Z', '2024-03-04T10:00:00.000000Z', { guest: 'ada' }, null],
    ])
    const windowed = await rooms.diff({ before: booked, key: room, validFrom: '2024-03-04T00:00:00Z', validTo: '2024-03-05T00:00:00Z' })
    expect(windowed.map((diff) => [diff.effective.from, diff.effective.to])).toEqual([['2024-03-04T00:00:00.000000Z', '2024-03-04T10:00:00.000000Z']])
    expect(await rooms.diff({ before: booked, key: room, validFrom: '2024-03-01T00:00:00Z', validTo: '2024-03-03T00:00:00Z' })).toEqual([])
  })
})
