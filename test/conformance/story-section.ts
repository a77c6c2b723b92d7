import { deepStrictEqual, match, ok } from 'node:assert/strict'
import { bitemporal, createTable, defineTable, type Version } from 'bitemporal'
import type { OpenDatabase } from './drivers.js'

/** The tax-rate table of docs/semantics.md §3. */
export const taxRates = defineTable({
  name: 'tax_rates',
  key: { state_id: 'integer', tax_type: 'text' },
  values: { rate: 'numeric not null' },
})
export const STORY_KEY = { state_id: 1, tax_type: 'income_tax' }
const SYSTEM_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/

/** [rate, effective from, effective to, system from, system to], system times named T1…T4 after the write that made them. */
export type StoryRow = (string | null)[]

/** What the story leaves for the reads: the system times of its four writes. */
export interface Story {
  readonly systemTimes: readonly string[]
  rows(versions: readonly Version<typeof taxRates>[]): StoryRow[]
}

/**
 * The tax-rate story of docs/semantics.md §3 (first change, correction, past
 * change, future change), checked row for row: each write's rows closed and
 * inserted, its system time's format and order, and the whole history.
 *
 * @example
 * const story = await runStory(open)
 */
export async function runStory(open: OpenDatabase): Promise<Story> {
  await createTable(open.db, taxRates)
  const rates = bitemporal(open.db, taxRates)
  const steps = [
    { from: '2023-01-01', rate: '0.15', closed: 0, inserted: 1 },
    { from: '2023-01-01', rate: '0.19', closed: 1, inserted: 1 },
    { from: '2022-12-01', rate: '0.14', closed: 0, inserted: 1 },
    { from: '2023-02-01', rate: '0.25', closed: 1, inserted: 2 },
  ]
  const systemTimes: string[] = []
  for (const step of steps) {
    const result = await rates.set(STORY_KEY, { from: step.from }, { rate: step.rate })
    deepStrictEqual({ closed: result.closed, inserted: result.inserted }, { closed: step.closed, inserted: step.inserted }, `set from ${step.from} to ${step.rate}`)
    match(String(result.systemTime), SYSTEM_TIME)
    const previous = systemTimes.at(-1)
    ok(previous === undefined || String(result.systemTime) > previous, `system times increase: ${String(result.systemTime)} after ${String(previous)}`)
    systemTimes.push(String(result.systemTime))
  }
  const name = (instant: string | null): string | null => {
    if (instant === null) return null
    const index = systemTimes.indexOf(instant)
    return index < 0 ? `not a write's systemTime: ${instant}` : `T${String(index + 1)}`
  }
  const story: Story = {
    systemTimes,
    rows: (versions) => versions.map((version) => [version.values.rate, version.effective.from, version.effective.to, name(version.system.from), name(version.system.to)]),
  }
  deepStrictEqual(story.rows(await rates.history(STORY_KEY)), [
    ['0.15', '2023-01-01', null, 'T1', 'T2'],
    ['0.19', '2023-01-01', null, 'T2', 'T4'],
    ['0.14', '2022-12-01', '2023-01-01', 'T3', null],
    ['0.19', '2023-01-01', '2023-02-01', 'T4', null],
    ['0.25', '2023-02-01', null, 'T4', null],
  ])
  return story
}
