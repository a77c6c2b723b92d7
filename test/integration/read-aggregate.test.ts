import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { install } from '../../src/install/install.js'
import type { AggregateFilter, AggregateStep } from '../../src/read/aggregate/aggregate-options.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'
import { type LoggedKysely, loggedKysely } from '../support/logged-kysely.js'
import { rejectsWithCode } from '../support/rejects-with-code.js'

// Issue 18, item 2: counts and sums as step functions of valid time, as
// known now and as known at a past instant, one statement each.

const database = useTestDatabase()

const subscriptions = defineTable({
  name: 'subscriptions',
  key: { id: 'integer' },
  values: { status: 'text not null', plan: 'text', mrr: 'numeric(10,2)', seats: 'integer' },
})
const shifts = defineTable({ name: 'shifts', key: { id: 'integer' }, values: { who: 'text', hours: 'double precision' }, effective: 'timestamp' })

const WINDOW = { validFrom: '2023-12-01', validTo: '2025-01-01' }
const active: { readonly where: AggregateFilter } = { where: (eb) => eb('status', '=', 'active') }

type Repo = ReturnType<typeof bitemporal<typeof subscriptions>>

let logged: LoggedKysely
let repo: Repo
/** The system time of the last write before the retroactive changes. */
let closedAt: string

/** A step as [from, to, count?, sum?, group?]: what the assertions compare. */
const rows = (steps: readonly AggregateStep[]): unknown[][] =>
  steps.map((step) => [
    step.effective.from,
    step.effective.to,
    ...('count' in step ? [step.count] : []),
    ...('sum' in step ? [step.sum] : []),
    ...('group' in step ? [step.group] : []),
  ])

beforeAll(async () => {
  await install(database().db)
  await createTable(database().db, subscriptions)
  await createTable(database().db, shifts)
  logged = loggedKysely(database().url)
  const writer = bitemporal(database().db, subscriptions)
  await writer.insert({ id: 1 }, { from: '2024-01-01' }, { status: 'active', plan: 'basic', mrr: '10.00', seats: 1 })
  await writer.insert({ id: 2 }, { from: '2024-03-01', to: '2024-06-01' }, { status: 'active', plan: 'pro', mrr: '20.00', seats: 5 })
  await writer.insert({ id: 3 }, { from: '2024-02-01' }, { status: 'cancelled', plan: 'basic', mrr: '5.00', seats: 1 })
  const last = await writer.insert({ id: 4 }, { from: '2024-06-01', to: '2024-08-01' }, { status: 'active', plan: 'basic', mrr: '10.00', seats: 2 })
  closedAt = last.systemTime ?? ''
  // After the period was reported, retroactively: subscription 2 began a month earlier, subscription 1 ended on Oct 1.
  await writer.insert({ id: 2 }, { from: '2024-02-01', to: '2024-03-01' }, { status: 'active', plan: 'pro', mrr: '20.00', seats: 5 })
  await writer.delete({ id: 1 }, { from: '2024-10-01' })
  repo = bitemporal(logged.db, subscriptions)
})

afterAll(async () => {
  await logged.db.destroy()
})

beforeEach(() => {
  logged.sent.length = 0
})

describe('aggregate', () => {
  it('as known at a past instant: the steps reported then, zero periods included, in one statement', async () => {
    const steps = await repo.aggregate({ ...WINDOW, ...active, knownAt: closedAt, count: true, sum: 'mrr' })
    expect(rows(steps)).toEqual([
      ['2023-12-01', '2024-01-01', 0, '0.00'],
      ['2024-01-01', '2024-03-01', 1, '10.00'],
      ['2024-03-01', '2024-06-01', 2, '30.00'],
      ['2024-06-01', '2024-08-01', 2, '20.00'],
      ['2024-08-01', '2025-01-01', 1, '10.00'],
    ])
    expect(logged.sent).toHaveLength(1)
    expect(logged.sent[0]).toContain('-- bitemporal aggregate on "subscriptions"')
  })

  it('as known now: the retroactive insert and deletion apply, and the two equal steps of subscription 2 merge into one', async () => {
    const steps = await repo.aggregate({ ...WINDOW, ...active, count: true, sum: 'mrr' })
    expect(rows(steps)).toEqual([
      ['2023-12-01', '2024-01-01', 0, '0.00'],
      ['2024-01-01', '2024-02-01', 1, '10.00'],
      // Two versions of subscription 2 meet on Mar 1: no step there.
      ['2024-02-01', '2024-06-01', 2, '30.00'],
      ['2024-06-01', '2024-08-01', 2, '20.00'],
      ['2024-08-01', '2024-10-01', 1, '10.00'],
      ['2024-10-01', '2025-01-01', 0, '0.00'],
    ])
  })

  it('merges on the measures asked for: a count alone does not change where only the sum does', async () => {
    const steps = await repo.aggregate({ ...WINDOW, ...active, knownAt: closedAt, count: true })
    expect(rows(steps)).toEqual([
      ['2023-12-01', '2024-01-01', 0],
      ['2024-01-01', '2024-03-01', 1],
      ['2024-03-01', '2024-08-01', 2],
      ['2024-08-01', '2025-01-01', 1],
    ])
    const sums = await repo.aggregate({ ...WINDOW, knownAt: closedAt, sum: 'seats' })
    // Without the filter the cancelled subscription 3 counts; seats are an integer column, summed as an integer.
    expect(rows(sums)).toEqual([
      ['2023-12-01', '2024-01-01', '0'],
      ['2024-01-01', '2024-02-01', '1'],
      ['2024-02-01', '2024-03-01', '2'],
      ['2024-03-01', '2024-06-01', '7'],
      ['2024-06-01', '2024-08-01', '4'],
      ['2024-08-01', '2025-01-01', '2'],
    ])
  })

  it('gives one step function per value of groupBy, each covering the whole window', async () => {
    const steps = await repo.aggregate({ ...WINDOW, ...active, count: true, sum: 'mrr', groupBy: 'plan' })
    expect(rows(steps)).toEqual([
      ['2023-12-01', '2024-01-01', 0, '0.00', 'basic'],
      ['2024-01-01', '2024-06-01', 1, '10.00', 'basic'],
      ['2024-06-01', '2024-08-01', 2, '20.00', 'basic'],
      ['2024-08-01', '2024-10-01', 1, '10.00', 'basic'],
      ['2024-10-01', '2025-01-01', 0, '0.00', 'basic'],
      ['2023-12-01', '2024-02-01', 0, '0.00', 'pro'],
      ['2024-02-01', '2024-06-01', 1, '20.00', 'pro'],
      ['2024-06-01', '2025-01-01', 0, '0.00', 'pro'],
    ])
    const byKey = await repo.aggregate({ validFrom: '2024-05-01', validTo: '2024-07-01', count: true, groupBy: 'id' })
    expect(rows(byKey)).toEqual([
      ['2024-05-01', '2024-07-01', 1, 1],
      ['2024-05-01', '2024-06-01', 1, 2],
      ['2024-06-01', '2024-07-01', 0, 2],
      ['2024-05-01', '2024-07-01', 1, 3],
      ['2024-05-01', '2024-06-01', 0, 4],
      ['2024-06-01', '2024-07-01', 1, 4],
    ])
  })

  it('is one step of zero over a window where nothing is valid', async () => {
    expect(rows(await repo.aggregate({ validFrom: '2020-01-01', validTo: '2021-01-01', count: true, sum: 'mrr' }))).toEqual([['2020-01-01', '2021-01-01', 0, '0.00']])
    expect(rows(await repo.aggregate({ validFrom: '2020-01-01', validTo: '2021-01-01', count: true, groupBy: 'plan' }))).toEqual([])
  })

  it('reads timestamp valid time, and sums a float column as an exact decimal', async () => {
    const shiftRepo = bitemporal(database().db, shifts)
    await shiftRepo.insert({ id: 1 }, { from: '2024-01-01T08:00:00Z', to: '2024-01-01T16:00:00Z' }, { who: 'ann', hours: 0.1 })
    await shiftRepo.insert({ id: 2 }, { from: '2024-01-01T12:00:00Z', to: '2024-01-01T20:00:00Z' }, { who: 'bob', hours: 0.2 })
    const steps = await shiftRepo.aggregate({ validFrom: '2024-01-01T00:00:00Z', validTo: '2024-01-02T00:00:00Z', count: true, sum: 'hours' })
    expect(rows(steps)).toEqual([
      ['2024-01-01T00:00:00.000000Z', '2024-01-01T08:00:00.000000Z', 0, '0'],
      ['2024-01-01T08:00:00.000000Z', '2024-01-01T12:00:00.000000Z', 1, '0.1'],
      ['2024-01-01T12:00:00.000000Z', '2024-01-01T16:00:00.000000Z', 2, '0.3'],
      ['2024-01-01T16:00:00.000000Z', '2024-01-01T20:00:00.000000Z', 1, '0.2'],
      ['2024-01-01T20:00:00.000000Z', '2024-01-02T00:00:00.000000Z', 0, '0'],
    ])
  })

  it('refuses bad options with InvalidInputError before sending anything', async () => {
    const bad: unknown[] = [
      { ...WINDOW, count: true, knownat: closedAt },
      { validFrom: '2024-01-01', count: true },
      { ...WINDOW },
      { ...WINDOW, count: 'yes' },
      { ...WINDOW, sum: 'status' },
      { ...WINDOW, sum: 'price' },
      { ...WINDOW, count: true, groupBy: 'region' },
      { ...WINDOW, count: true, where: { status: 'active' } },
      { validFrom: '2025-01-01', validTo: '2024-01-01', count: true },
      { ...WINDOW, count: true, knownAt: 'yesterday' },
    ]
    for (const options of bad) {
      await rejectsWithCode(() => repo.aggregate(options as Parameters<Repo['aggregate']>[0]), 'INVALID_INPUT')
    }
    expect(logged.sent).toHaveLength(0)
    const error = await rejectsWithCode(() => repo.aggregate({ ...WINDOW, sum: 'status' }), 'INVALID_INPUT')
    expect(error.message).toContain('"status" is text, not a number')
  })
})
