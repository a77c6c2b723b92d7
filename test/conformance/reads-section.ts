import { deepStrictEqual } from 'node:assert/strict'
import { asOfPlugin, bitemporal, createTable, defineTable } from 'bitemporal'
import { microsecondBefore } from '../support/timeline-model.js'
import type { OpenDatabase } from './drivers.js'
import { STORY_KEY, type Story, taxRates } from './story-section.js'

const states = defineTable({ name: 'states', key: { id: 'integer' }, values: { name: 'text not null' } })

/**
 * The reads of docs/semantics.md §4 over the tax-rate story: `asOf` to the
 * microsecond, `timeline` as known at each write and just before it,
 * `changes`, `query`, and `asOfPlugin` on a join whose author filtered
 * neither table.
 *
 * @example
 * await checkReads(open, await runStory(open))
 */
export async function checkReads(open: OpenDatabase, story: Story): Promise<void> {
  const rates = bitemporal(open.db, taxRates)
  const T = (n: number): string => story.systemTimes[n - 1] ?? `T${String(n)} was not recorded`

  const rateAt = async (validAt: string, knownAt?: string): Promise<string | undefined> =>
    (await rates.asOf(STORY_KEY, knownAt === undefined ? { validAt } : { validAt, knownAt }))?.values.rate
  deepStrictEqual(
    [await rateAt('2023-05-01'), await rateAt('2022-11-30'), await rateAt('2023-01-15', T(1)), await rateAt('2023-01-15', T(2)), await rateAt('2023-01-15', microsecondBefore(T(1)))],
    ['0.25', undefined, '0.15', '0.19', undefined],
    'asOf',
  )

  const known: Record<number, (string | null)[][]> = {
    0: [],
    1: [['0.15', '2023-01-01', null, 'T1']],
    2: [['0.19', '2023-01-01', null, 'T2']],
    3: [['0.14', '2022-12-01', '2023-01-01', 'T3'], ['0.19', '2023-01-01', null, 'T2']],
    4: [['0.14', '2022-12-01', '2023-01-01', 'T3'], ['0.19', '2023-01-01', '2023-02-01', 'T4'], ['0.25', '2023-02-01', null, 'T4']],
  }
  for (const n of [1, 2, 3, 4]) {
    const at = story.rows(await rates.timeline(STORY_KEY, { knownAt: T(n) })).map((row) => row.slice(0, 4))
    deepStrictEqual(at, known[n], `timeline known at T${String(n)}`)
    const before = story.rows(await rates.timeline(STORY_KEY, { knownAt: microsecondBefore(T(n)) })).map((row) => row.slice(0, 4))
    deepStrictEqual(before, known[n - 1], `timeline known 1 µs before T${String(n)}`)
  }

  const changes = await rates.changes({ since: T(1), key: STORY_KEY })
  deepStrictEqual(
    changes.map((change) => [change.kind, story.systemTimes.indexOf(change.systemTime) + 1, change.values.rate, change.effective.from, change.effective.to]),
    [
      ['asserted', 1, '0.15', '2023-01-01', null],
      ['retracted', 2, '0.15', '2023-01-01', null],
      ['asserted', 2, '0.19', '2023-01-01', null],
      ['asserted', 3, '0.14', '2022-12-01', '2023-01-01'],
      ['retracted', 4, '0.19', '2023-01-01', null],
      ['asserted', 4, '0.19', '2023-01-01', '2023-02-01'],
      ['asserted', 4, '0.25', '2023-02-01', null],
    ],
    'changes since T1',
  )

  // query(): a Kysely select restricted to one instant; the driver decodes what it selects.
  const queried = await rates.query({ validAt: '2023-01-15', knownAt: T(1) }).select(['state_id', 'rate']).execute()
  deepStrictEqual(queried.map((row) => [String(row.state_id), String(row.rate)]), [['1', '0.15']], 'query at T1')

  // asOfPlugin on a join: one instant for both tables, though the query filters neither.
  await createTable(open.db, states)
  const names = bitemporal(open.db, states)
  await names.set({ id: 1 }, { from: '2022-01-01' }, { name: 'Ohio' })
  const renamed = (await names.set({ id: 1 }, { from: '2023-01-01' }, { name: 'Ohio (renamed)' })).systemTime ?? ''
  const joined = async (validAt: string, knownAt: string): Promise<string[][]> => {
    const rows = await open.db
      .withPlugin(asOfPlugin({ tables: [taxRates, states], validAt, knownAt }))
      .selectFrom('tax_rates as r')
      .innerJoin('states as s', 's.id', 'r.state_id')
      .select(['s.name', 'r.rate'])
      .execute()
    return rows.map((row) => [String(row.name), String(row.rate)])
  }
  deepStrictEqual(await joined('2023-01-15', renamed), [['Ohio (renamed)', '0.19']], 'plugin on a join, known at the rename')
  deepStrictEqual(await joined('2023-01-15', microsecondBefore(renamed)), [['Ohio', '0.19']], 'plugin on a join, known 1 µs before the rename')
  deepStrictEqual(await joined('2023-02-15', renamed), [['Ohio (renamed)', '0.25']], 'plugin on a join, valid after the future change')
  deepStrictEqual(await joined('2022-12-15', renamed), [['Ohio', '0.14']], 'plugin on a join, valid before the rename')
}
