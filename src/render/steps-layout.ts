import type { StepSeries } from './steps-input.js'

/** One series of a step chart in plot units: x and y in [0, 1], y up. */
export interface StepsPath {
  readonly group: string
  /** The corners of the step line, left to right: each step is a flat run at its value. */
  readonly runs: readonly { readonly x0: number; readonly x1: number; readonly y: number; readonly label: string; readonly from: string; readonly to: string }[]
}

/** A step chart laid out independently of the format: proportional valid time along x, the measure up y. */
export interface StepsLayout {
  readonly paths: readonly StepsPath[]
  /** A few valid-time ticks: the first start, the last end and boundaries between, spread out. */
  readonly xTicks: readonly { readonly x: number; readonly label: string }[]
  /** The lowest and highest value (the lowest at most 0, so a bar chart's ground is on the axis). */
  readonly yTicks: readonly { readonly y: number; readonly label: string }[]
}

const MAX_X_TICKS = 6

/**
 * Scales the series onto one plot: valid time in proportion (a year of
 * days is wide, a day narrow: a step chart shows how long a level lasted),
 * values from `min(0, lowest)` to the highest.
 *
 * @example
 * layoutSteps(checkSteps(steps, 'count')).paths[0]?.runs[0] // { x0: 0, x1: 0.16, y: 0, label: '0', … }
 */
export function layoutSteps(series: readonly StepSeries[]): StepsLayout {
  const steps = series.flatMap((one) => one.steps)
  const start = Math.min(...steps.map((step) => step.fromMs))
  const end = Math.max(...steps.map((step) => step.toMs))
  const low = Math.min(0, ...steps.map((step) => step.value))
  const high = Math.max(low + 1, ...steps.map((step) => step.value))
  const x = (ms: number): number => (ms - start) / (end - start)
  const y = (value: number): number => (value - low) / (high - low)
  const paths = series.map((one) =>
    Object.freeze({
      group: one.group,
      runs: Object.freeze(one.steps.map((step) => Object.freeze({ x0: x(step.fromMs), x1: x(step.toMs), y: y(step.value), label: step.label, from: step.from, to: step.to }))),
    }),
  )
  const boundaries = new Map<number, string>()
  for (const step of steps) {
    boundaries.set(step.fromMs, step.from)
    boundaries.set(step.toMs, step.to)
  }
  const sorted = [...boundaries].sort(([a], [b]) => a - b)
  const every = Math.max(1, Math.ceil((sorted.length - 1) / (MAX_X_TICKS - 1)))
  const chosen = sorted.filter((_, index) => index % every === 0 || index === sorted.length - 1)
  const highLabel = steps.find((step) => step.value === high)?.label ?? String(high)
  const lowLabel = steps.find((step) => step.value === low)?.label ?? String(low)
  return Object.freeze({
    paths: Object.freeze(paths),
    xTicks: Object.freeze(chosen.map(([ms, label]) => Object.freeze({ x: x(ms), label }))),
    yTicks: Object.freeze([Object.freeze({ y: 0, label: lowLabel }), Object.freeze({ y: 1, label: highLabel })]),
  })
}
