import { deepStrictEqual } from 'node:assert/strict'
import { type AggregateFilter, type AggregateStep, bitemporal, combineTimelines, createTable, defineTable } from 'bitemporal'
import type { OpenDatabase } from './drivers.js'

const seats = defineTable({ name: 'analytics_seats', key: { id: 'integer' }, values: { status: 'text not null', plan: 'text', mrr: 'numeric(10,2)' } })
const incomes = defineTable({ name: 'analytics_incomes', key: { person_id: 'integer' }, values: { monthly: 'numeric not null' } })
const rates = defineTable({ name: 'analytics_rates', key: { state_id: 'integer' }, values: { rate: 'numeric not null' } })
const exemptions = defineTable({ name: 'analytics_exemptions', key: { person_id: 'integer' }, values: { share: 'numeric not null' } })

const steps = (result: readonly AggregateStep[]): unknown[][] =>
  result.map((step) => [step.effective.from, step.effective.to, step.count, step.sum, ...('group' in step ? [step.group] : [])])

/**
 * Sequenced analytics on every driver: `aggregate` (a step function of
 * valid time, with a Kysely filter, count, sum as an exact string and
 * groupBy) as known now and at a past instant after a retroactive change,
 * and a three-way `combineTimelines`.
 *
 * @example
 * await checkAnalyticsAggregate(open)
 */
export async function checkAnalyticsAggregate(open: OpenDatabase): Promise<void> {
  for (const table of [seats, incomes, rates, exemptions]) await createTable(open.db, table)
  const repo = bitemporal(open.db, seats)
  await repo.insert({ id: 1 }, { from: '2024-01-01' }, { status: 'active', plan: 'basic', mrr: '10.00' })
  await repo.insert({ id: 2 }, { from: '2024-03-01', to: '2024-06-01' }, { status: 'active', plan: 'pro', mrr: '20.00' })
  const reported = (await repo.insert({ id: 3 }, { from: '2024-02-01' }, { status: 'cancelled', plan: 'basic', mrr: '5.00' })).systemTime ?? ''
  await repo.delete({ id: 1 }, { from: '2024-10-01' })

  const window = { validFrom: '2023-12-01', validTo: '2025-01-01', count: true, sum: 'mrr' } as const
  const active: { readonly where: AggregateFilter } = { where: (eb) => eb('status', '=', 'active') }
  deepStrictEqual(
    steps(await repo.aggregate({ ...window, ...active, knownAt: reported })),
    [
      ['2023-12-01', '2024-01-01', 0, '0.00'],
      ['2024-01-01', '2024-03-01', 1, '10.00'],
      ['2024-03-01', '2024-06-01', 2, '30.00'],
      ['2024-06-01', '2025-01-01', 1, '10.00'],
    ],
    'aggregate known at the report',
  )
  deepStrictEqual(
    steps(await repo.aggregate({ ...window, ...active })),
    [
      ['2023-12-01', '2024-01-01', 0, '0.00'],
      ['2024-01-01', '2024-03-01', 1, '10.00'],
      ['2024-03-01', '2024-06-01', 2, '30.00'],
      ['2024-06-01', '2024-10-01', 1, '10.00'],
      ['2024-10-01', '2025-01-01', 0, '0.00'],
    ],
    'aggregate known now',
  )
  deepStrictEqual(
    steps(await repo.aggregate({ validFrom: '2024-01-01', validTo: '2024-04-01', count: true, sum: 'mrr', groupBy: 'plan' })),
    [
      ['2024-01-01', '2024-02-01', 1, '10.00', 'basic'],
      ['2024-02-01', '2024-04-01', 2, '15.00', 'basic'],
      ['2024-01-01', '2024-03-01', 0, '0.00', 'pro'],
      ['2024-03-01', '2024-04-01', 1, '20.00', 'pro'],
    ],
    'aggregate by plan',
  )

  await bitemporal(open.db, incomes).set({ person_id: 1 }, { from: '2023-01-01' }, { monthly: '3000.00' })
  await bitemporal(open.db, rates).set({ state_id: 1 }, { from: '2023-01-01', to: '2023-06-01' }, { rate: '0.10' })
  await bitemporal(open.db, exemptions).set({ person_id: 1 }, { from: '2023-03-01' }, { share: '0.50' })
  const periods = await combineTimelines(open.db, {
    sides: [
      { table: incomes, key: { person_id: 1 } },
      { table: rates, key: { state_id: 1 } },
      { table: exemptions, key: { person_id: 1 } },
    ],
  })
  deepStrictEqual(
    periods.map((period) => [period.effective.from, period.effective.to, period.values[0].monthly, period.values[1].rate, period.values[2].share]),
    [['2023-03-01', '2023-06-01', '3000.00', '0.10', '0.50']],
    'three-way combineTimelines',
  )
}
