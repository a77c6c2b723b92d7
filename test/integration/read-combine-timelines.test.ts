import pg from 'pg'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { install } from '../../src/install/install.js'
import { type CombinedPeriod, combineTimelines } from '../../src/read/combine-timelines.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'
import { type LoggedKysely, loggedKysely } from '../support/logged-kysely.js'
import { rejectsWithCode } from '../support/rejects-with-code.js'

// Issue 4, item 5: "income timeline x tax-rate timeline = tax due per
// period", the intersections computed in SQL.

const database = useTestDatabase()

const incomes = defineTable({ name: 'incomes', key: { person_id: 'integer' }, values: { monthly: 'numeric not null' } })
const taxRates = defineTable({ name: 'tax_rates', key: { state_id: 'integer', tax_type: 'text' }, values: { rate: 'numeric not null' } })
const shifts = defineTable({ name: 'shifts', key: { id: 'integer' }, values: { who: 'text' }, effective: 'timestamp' })

const PERSON = { person_id: 1 }
const RATE = { state_id: 1, tax_type: 'income_tax' }

let logged: LoggedKysely
/** The system time of the last setup write, before the retroactive correction. */
let beforeCorrection: string

type Period = CombinedPeriod<typeof incomes, typeof taxRates>

/** A period as [from, to, monthly income, rate]. */
const rows = (periods: readonly Period[]): unknown[][] => periods.map((p) => [p.effective.from, p.effective.to, p.left.monthly, p.right.rate])

/** An exact decimal string as an integer and its number of decimals. */
function decimal(text: string): readonly [bigint, number] {
  const [whole = '', fraction = ''] = text.split('.')
  return [BigInt(whole + fraction), fraction.length]
}

/** Whole months from one first-of-month to another (or to the window's end). */
function months(from: string, to: string): number {
  const index = (day: string): number => Number(day.slice(0, 4)) * 12 + Number(day.slice(5, 7))
  if (!from.endsWith('-01') || !to.endsWith('-01')) throw new Error(`not month-aligned: ${from} to ${to}`)
  return index(to) - index(from)
}

/** Tax due over a period: monthly income x rate x months, exact, in cents as 'x.yy'. */
function taxDue(period: Period): string {
  const [income, incomeScale] = decimal(period.left.monthly)
  const [rate, rateScale] = decimal(period.right.rate)
  const product = income * rate * BigInt(months(period.effective.from, period.effective.to ?? ''))
  const divisor = 10n ** BigInt(incomeScale + rateScale - 2)
  if (product % divisor !== 0n) throw new Error('not a whole number of cents')
  const cents = product / divisor
  return `${String(cents / 100n)}.${String(cents % 100n).padStart(2, '0')}`
}

beforeAll(async () => {
  await install(database().db)
  await createTable(database().db, incomes)
  await createTable(database().db, taxRates)
  await createTable(database().db, shifts)
  logged = loggedKysely(database().url)
  const income = bitemporal(database().db, incomes)
  const rates = bitemporal(database().db, taxRates)
  // Income changes on Apr 1 and Jul 1, with a gap in June (no income).
  await income.set(PERSON, { from: '2023-01-01', to: '2023-04-01' }, { monthly: '3000.00' })
  await income.set(PERSON, { from: '2023-04-01', to: '2023-06-01' }, { monthly: '3500.00' })
  await income.set(PERSON, { from: '2023-07-01' }, { monthly: '4000.00' })
  // The rate, known from before the income starts, changes on Mar 1 and Aug 1.
  await rates.set(RATE, { from: '2022-12-01' }, { rate: '0.10' })
  await rates.set(RATE, { from: '2023-03-01' }, { rate: '0.12' })
  const last = await rates.set(RATE, { from: '2023-08-01' }, { rate: '0.15' })
  beforeCorrection = last.systemTime ?? ''
  // Later, retroactively: the Mar–Aug rate was 0.11, not 0.12.
  await rates.correct(RATE, { at: '2023-05-01' }, { rate: '0.11' })
})

afterAll(async () => {
  await logged.db.destroy()
})

beforeEach(() => {
  logged.sent.length = 0
})

describe('income x tax rate', () => {
  it('cuts both timelines at every change of either, leaves out the gap, and gives the tax due per period', async () => {
    const periods = await combineTimelines(logged.db, {
      left: { table: incomes, key: PERSON },
      right: { table: taxRates, key: RATE },
      knownAt: beforeCorrection,
      from: '2023-01-01',
      to: '2024-01-01',
    })
    expect(rows(periods)).toEqual([
      ['2023-01-01', '2023-03-01', '3000.00', '0.10'],
      ['2023-03-01', '2023-04-01', '3000.00', '0.12'],
      ['2023-04-01', '2023-06-01', '3500.00', '0.12'],
      // June: no income, no period.
      ['2023-07-01', '2023-08-01', '4000.00', '0.12'],
      ['2023-08-01', '2024-01-01', '4000.00', '0.15'],
    ])
    expect(periods.map(taxDue)).toEqual(['600.00', '360.00', '840.00', '480.00', '3000.00'])
    expect(logged.sent).toHaveLength(1)
  })

  it('reads current knowledge by default: the retroactive correction applies', async () => {
    const periods = await combineTimelines(logged.db, {
      left: { table: incomes, key: PERSON },
      right: { table: taxRates, key: RATE },
      from: '2023-01-01',
      to: '2024-01-01',
    })
    expect(rows(periods)).toEqual([
      ['2023-01-01', '2023-03-01', '3000.00', '0.10'],
      ['2023-03-01', '2023-04-01', '3000.00', '0.11'],
      ['2023-04-01', '2023-06-01', '3500.00', '0.11'],
      ['2023-07-01', '2023-08-01', '4000.00', '0.11'],
      ['2023-08-01', '2024-01-01', '4000.00', '0.15'],
    ])
    expect(periods.map(taxDue)).toEqual(['600.00', '330.00', '770.00', '440.00', '3000.00'])
  })

  it('without a window, runs from where both start to where either ends (open here)', async () => {
    const periods = await combineTimelines(logged.db, { left: { table: incomes, key: PERSON }, right: { table: taxRates, key: RATE } })
    expect(rows(periods)).toEqual([
      ['2023-01-01', '2023-03-01', '3000.00', '0.10'],
      ['2023-03-01', '2023-04-01', '3000.00', '0.11'],
      ['2023-04-01', '2023-06-01', '3500.00', '0.11'],
      ['2023-07-01', '2023-08-01', '4000.00', '0.11'],
      ['2023-08-01', null, '4000.00', '0.15'],
    ])
  })

  it('clamps to a window that cuts periods and starts inside one', async () => {
    const periods = await combineTimelines(logged.db, {
      left: { table: incomes, key: PERSON },
      right: { table: taxRates, key: RATE },
      from: '2023-02-15',
      to: '2023-07-15',
    })
    expect(rows(periods)).toEqual([
      ['2023-02-15', '2023-03-01', '3000.00', '0.10'],
      ['2023-03-01', '2023-04-01', '3000.00', '0.11'],
      ['2023-04-01', '2023-06-01', '3500.00', '0.11'],
      ['2023-07-01', '2023-07-15', '4000.00', '0.11'],
    ])
    expect(Object.isFrozen(periods)).toBe(true)
    expect(Object.isFrozen(periods[0])).toBe(true)
    expect(Object.isFrozen(periods[0]?.left)).toBe(true)
  })

  it('is empty when either side has nothing in the window', async () => {
    const none = await combineTimelines(logged.db, {
      left: { table: incomes, key: PERSON },
      right: { table: taxRates, key: RATE },
      from: '2023-06-01',
      to: '2023-07-01',
    })
    expect(none).toEqual([])
    expect(await combineTimelines(logged.db, { left: { table: incomes, key: { person_id: 2 } }, right: { table: taxRates, key: RATE } })).toEqual([])
  })

  it('combines two keys of one table, and takes a pg.Pool', async () => {
    await bitemporal(database().db, incomes).set({ person_id: 3 }, { from: '2023-02-01', to: '2023-05-01' }, { monthly: '100.00' })
    const pool = new pg.Pool({ connectionString: database().url, max: 1 })
    try {
      const periods = await combineTimelines(pool, { left: { table: incomes, key: PERSON }, right: { table: incomes, key: { person_id: 3 } } })
      expect(periods.map((p) => [p.effective.from, p.effective.to, p.left.monthly, p.right.monthly])).toEqual([
        ['2023-02-01', '2023-04-01', '3000.00', '100.00'],
        ['2023-04-01', '2023-05-01', '3500.00', '100.00'],
      ])
    } finally {
      await pool.end()
    }
  })
})

const exemptions = defineTable({ name: 'exemptions', key: { person_id: 'integer' }, values: { share: 'numeric not null' } })

describe('three sides: income x tax rate x exemption', () => {
  /** The system time of the exemptions as first written, before their correction. */
  let beforeExemptionCorrection: string
  const sides = [
    { table: incomes, key: PERSON },
    { table: taxRates, key: RATE },
    { table: exemptions, key: PERSON },
  ] as const

  beforeAll(async () => {
    await createTable(database().db, exemptions)
    const exempt = bitemporal(database().db, exemptions)
    await exempt.set(PERSON, { from: '2023-02-01', to: '2023-05-01' }, { share: '0.50' })
    beforeExemptionCorrection = (await exempt.set(PERSON, { from: '2023-09-01' }, { share: '0.25' })).systemTime ?? ''
    await exempt.correct(PERSON, { at: '2023-03-01' }, { share: '0.40' })
  })

  it('cuts the three timelines at every change of any, only where all three have a version, in one statement', async () => {
    const periods = await combineTimelines(logged.db, { sides, from: '2023-01-01', to: '2024-01-01' })
    expect(periods.map((p) => [p.effective.from, p.effective.to, p.values[0].monthly, p.values[1].rate, p.values[2].share])).toEqual([
      ['2023-02-01', '2023-03-01', '3000.00', '0.10', '0.40'],
      ['2023-03-01', '2023-04-01', '3000.00', '0.11', '0.40'],
      ['2023-04-01', '2023-05-01', '3500.00', '0.11', '0.40'],
      ['2023-09-01', '2024-01-01', '4000.00', '0.15', '0.25'],
    ])
    expect(logged.sent).toHaveLength(1)
    expect(logged.sent[0]).toContain('-- bitemporal combineTimelines of "incomes", "tax_rates" and "exemptions"')
    expect(Object.isFrozen(periods[0]?.values)).toBe(true)
  })

  it('reads every side as known at one instant', async () => {
    const periods = await combineTimelines(logged.db, { sides, knownAt: beforeExemptionCorrection, to: '2023-06-01' })
    expect(periods.map((p) => [p.effective.from, p.effective.to, p.values[0].monthly, p.values[1].rate, p.values[2].share])).toEqual([
      ['2023-02-01', '2023-03-01', '3000.00', '0.10', '0.50'],
      ['2023-03-01', '2023-04-01', '3000.00', '0.11', '0.50'],
      ['2023-04-01', '2023-05-01', '3500.00', '0.11', '0.50'],
    ])
  })

  it('gives with two sides the periods of the left and right form', async () => {
    const two = await combineTimelines(logged.db, { sides: [sides[0], sides[1]], from: '2023-01-01', to: '2024-01-01' })
    const pair = await combineTimelines(logged.db, { left: sides[0], right: sides[1], from: '2023-01-01', to: '2024-01-01' })
    expect(two.map((p) => [p.effective, ...p.values])).toEqual(pair.map((p) => [p.effective, p.left, p.right]))
  })
})

describe('bad input is rejected before anything is sent', () => {
  const untyped = combineTimelines as unknown as (db: unknown, options: unknown) => Promise<unknown>
  const good = { left: { table: incomes, key: PERSON }, right: { table: taxRates, key: RATE } }

  it.each([
    ['options that are not an object', null],
    ['no right side', { left: good.left }],
    ['a side without a table', { ...good, right: { key: RATE } }],
    ['a side whose table is not a definition', { ...good, right: { table: 'tax_rates', key: RATE } }],
    ['a key of the wrong shape', { ...good, right: { table: taxRates, key: PERSON } }],
    ['a misspelt option', { ...good, knownat: '2023-01-01T00:00:00Z' }],
    ['a side with a key other than table and key', { ...good, right: { ...good.right, knownAt: '2023-01-01T00:00:00Z' } }],
    ['a knownAt without an offset', { ...good, knownAt: '2023-01-01T00:00:00' }],
    ['a day that does not exist', { ...good, from: '2023-02-29' }],
    ['from after to', { ...good, from: '2023-03-01', to: '2023-01-01' }],
    ['from equal to to', { ...good, from: '2023-03-01', to: '2023-03-01' }],
    ['a date table with a timestamp table', { ...good, right: { table: shifts, key: { id: 1 } } }],
    ['one side', { sides: [good.left] }],
    ['sides that are not an array', { sides: good }],
    ['sides with left and right too', { sides: [good.left, good.right], left: good.left }],
    ['a third side with a bad key', { sides: [good.left, good.right, { table: incomes, key: RATE }] }],
    ['a timestamp table among date tables', { sides: [good.left, good.right, { table: shifts, key: { id: 1 } }] }],
  ])('%s', async (_, options) => {
    await rejectsWithCode(() => untyped(logged.db, options), 'INVALID_INPUT')
    expect(logged.sent).toEqual([])
  })

  it('names a misspelt option, and shows left and right as required in the shape', async () => {
    const error = await rejectsWithCode(() => untyped(logged.db, { ...good, knownat: '2023-01-01T00:00:00Z' }), 'INVALID_INPUT')
    expect(error.message).toBe('bitemporal: combineTimelines: unknown option "knownat"; the options are { left, right, knownAt?, from?, to? }')
    expect(logged.sent).toEqual([])
  })

  it('names the side of sides that is wrong', async () => {
    const error = await rejectsWithCode(() => untyped(logged.db, { sides: [good.left, { ...good.right, to: null }] }), 'INVALID_INPUT')
    expect(error.message).toBe('bitemporal: combineTimelines: unknown key "to" in sides[1]; a side is { table, key }')
    expect(logged.sent).toEqual([])
  })

  it('names the unknown key of a side', async () => {
    const error = await rejectsWithCode(() => untyped(logged.db, { ...good, left: { ...good.left, from: '2023-01-01' } }), 'INVALID_INPUT')
    expect(error.message).toBe('bitemporal: combineTimelines: unknown key "from" in left; a side is { table, key }')
    expect(logged.sent).toEqual([])
  })
})
