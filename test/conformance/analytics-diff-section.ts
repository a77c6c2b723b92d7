import { deepStrictEqual } from 'node:assert/strict'
import { bitemporal } from 'bitemporal'
import type { OpenDatabase } from './drivers.js'
import { STORY_KEY, type Story, taxRates } from './story-section.js'

/**
 * `diff` over the tax-rate story (docs/semantics.md §3): what the writes
 * after T1 changed, for the key and over every key, between two past
 * instants, and streamed. The driver carries the instants, the numeric
 * values and the booleans that say whether a side is present.
 *
 * @example
 * await checkDiff(open, await runStory(open))
 */
export async function checkDiff(open: OpenDatabase, story: Story): Promise<void> {
  const rates = bitemporal(open.db, taxRates)
  const T = (n: number): string => story.systemTimes[n - 1] ?? `T${String(n)} was not recorded`
  const tuples = (rows: readonly { effective: { from: string; to: string | null }; before: { rate: string } | null; after: { rate: string } | null }[]): unknown[] =>
    rows.map((row) => [row.effective.from, row.effective.to, row.before?.rate ?? null, row.after?.rate ?? null])

  const sinceT1 = [
    ['2022-12-01', '2023-01-01', null, '0.14'],
    ['2023-01-01', '2023-02-01', '0.15', '0.19'],
    ['2023-02-01', null, '0.15', '0.25'],
  ]
  deepStrictEqual(tuples(await rates.diff({ before: T(1), after: T(4), key: STORY_KEY })), sinceT1, 'diff of the key, T1 to T4')
  deepStrictEqual(tuples(await rates.diff({ before: T(2), after: T(3), key: STORY_KEY })), [['2022-12-01', '2023-01-01', null, '0.14']], 'diff of the key, T2 to T3')
  const everyKey = (await rates.diff({ before: T(1), after: T(4) })).filter((row) => row.key.state_id === STORY_KEY.state_id && row.key.tax_type === STORY_KEY.tax_type)
  deepStrictEqual(tuples(everyKey), sinceT1, 'diff over every key, T1 to T4')
  const streamed = []
  for await (const row of rates.streamDiff({ before: T(1), after: T(4), key: STORY_KEY }, { batchSize: 1 })) streamed.push(row)
  deepStrictEqual(tuples(streamed), sinceT1, 'streamDiff of the key')
}
