import { describeValue } from '../errors/describe-value.js'
import { InvalidInputError } from '../errors/errors.js'
import { isPlainObject } from '../values/is-plain-object.js'
import { valueText } from './history-input.js'

/** What {@link renderSteps} draws: the steps of `repo.aggregate` (or any steps of that shape). */
export interface StepInput {
  readonly effective: { readonly from: string; readonly to: string }
  readonly count?: number
  readonly sum?: string
  readonly group?: unknown
}

/** One step, checked: its period in milliseconds and its measure as a number (for the geometry) and as text (for labels). */
export interface CheckedStep {
  readonly from: string
  readonly to: string
  readonly fromMs: number
  readonly toMs: number
  readonly value: number
  readonly label: string
}

/** The steps of one group, in order, meeting end to start. */
export interface StepSeries {
  /** The group's value as text, `''` without `groupBy`. */
  readonly group: string
  readonly steps: readonly CheckedStep[]
}

/**
 * Checks the steps and splits them by group, in the order the groups first
 * appear. Each step must have an `effective` with a `from` before its `to`,
 * and the measure asked for: a `count` number or a `sum` decimal string.
 *
 * @throws {InvalidInputError} naming the first step that is not one.
 *
 * @example
 * checkSteps([{ effective: { from: '2024-01-01', to: '2024-02-01' }, count: 3 }], 'count')
 * // [{ group: '', steps: [{ from: '2024-01-01', to: '2024-02-01', value: 3, label: '3', … }] }]
 */
export function checkSteps(steps: unknown, measure: 'count' | 'sum'): readonly StepSeries[] {
  if (!Array.isArray(steps)) throw new InvalidInputError(`renderSteps takes the steps of aggregate(), got ${describeValue(steps)}`)
  const series = new Map<string, CheckedStep[]>()
  steps.forEach((step: unknown, index) => {
    const wrong = (what: string): InvalidInputError => new InvalidInputError(`renderSteps: step ${String(index)} ${what}`)
    if (!isPlainObject(step) || !isPlainObject(step['effective'])) throw wrong('is not { effective: { from, to }, count?, sum?, group? }')
    const { from, to } = step['effective']
    const fromMs = typeof from === 'string' ? Date.parse(from) : Number.NaN
    const toMs = typeof to === 'string' ? Date.parse(to) : Number.NaN
    if (typeof from !== 'string' || typeof to !== 'string' || Number.isNaN(fromMs) || Number.isNaN(toMs) || fromMs >= toMs) {
      throw wrong(`has no valid period [from, to): ${describeValue(step['effective'])}`)
    }
    const raw = step[measure]
    const value = measure === 'count' ? (typeof raw === 'number' ? raw : Number.NaN) : typeof raw === 'string' ? Number(raw) : Number.NaN
    if (!Number.isFinite(value)) throw wrong(`has no ${measure} (${measure === 'count' ? 'a number' : 'a decimal string'}): ${describeValue(raw)}`)
    const group = 'group' in step ? valueText(step['group']) : ''
    const list = series.get(group) ?? []
    list.push(Object.freeze({ from, to, fromMs, toMs, value, label: String(raw) }))
    series.set(group, list)
  })
  return Object.freeze([...series].map(([group, list]) => Object.freeze({ group, steps: Object.freeze(list) })))
}
