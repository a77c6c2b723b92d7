import type { HistoryVersion } from '../src/render/index.js'

// The tax-rate story of docs/semantics.md §3, by hand: history(key) after
// each step, with made-up but plausible system times T1 < T2 < T3 < T4.

const key = Object.freeze({ state_id: 1, tax_type: 'income_tax' })
const T1 = '2023-10-16T09:30:00.000000Z'
const T2 = '2023-10-17T14:05:00.000000Z'
const T3 = '2023-11-02T08:15:00.000000Z'
const T4 = '2023-12-01T16:45:00.000000Z'

function version(rate: string, effective: [string, string | null], system: [string, string | null]): HistoryVersion {
  return Object.freeze({
    key,
    values: Object.freeze({ rate }),
    effective: Object.freeze({ from: effective[0], to: effective[1] }),
    system: Object.freeze({ from: system[0], to: system[1] }),
  })
}

/** One step of the story: its name in docs/semantics.md §3, the call, and the history after it. */
export interface StoryStep {
  readonly name: string
  readonly call: string
  readonly history: readonly HistoryVersion[]
}

/** The four steps, in order. */
export const taxRateStory: readonly StoryStep[] = Object.freeze([
  {
    name: 'first-change',
    call: "set(key, { from: '2023-01-01' }, { rate: 0.15 })",
    history: [version('0.15', ['2023-01-01', null], [T1, null])],
  },
  {
    name: 'correction',
    call: "set(key, { from: '2023-01-01' }, { rate: 0.19 })",
    history: [version('0.15', ['2023-01-01', null], [T1, T2]), version('0.19', ['2023-01-01', null], [T2, null])],
  },
  {
    name: 'past-change',
    call: "set(key, { from: '2022-12-01' }, { rate: 0.14 })",
    history: [
      version('0.15', ['2023-01-01', null], [T1, T2]),
      version('0.19', ['2023-01-01', null], [T2, null]),
      version('0.14', ['2022-12-01', '2023-01-01'], [T3, null]),
    ],
  },
  {
    name: 'future-change',
    call: "set(key, { from: '2023-02-01' }, { rate: 0.25 })",
    history: [
      version('0.15', ['2023-01-01', null], [T1, T2]),
      version('0.19', ['2023-01-01', null], [T2, T4]),
      version('0.14', ['2022-12-01', '2023-01-01'], [T3, null]),
      version('0.19', ['2023-01-01', '2023-02-01'], [T4, null]),
      version('0.25', ['2023-02-01', null], [T4, null]),
    ],
  },
])
