import type { StepSeries } from './steps-input.js'

const BAR_WIDTH = 40

/**
 * A step chart for a terminal: per group, one line per step with its
 * period, its value and a bar as long as the value (`█`, the highest value
 * of every group filling {@link BAR_WIDTH} characters; zero draws none).
 *
 * ```text
 * Active subscriptions
 * 2023-12-01 → 2024-01-01  0
 * 2024-01-01 → 2024-03-01  1  ████████████████████
 * 2024-03-01 → 2024-06-01  2  ████████████████████████████████████████
 * ```
 */
export function textSteps(series: readonly StepSeries[], title: string): string {
  const steps = series.flatMap((one) => one.steps)
  const highest = Math.max(0, ...steps.map((step) => Math.abs(step.value)))
  const periodWidth = Math.max(0, ...steps.map((step) => `${step.from} → ${step.to}`.length))
  const labelWidth = Math.max(0, ...steps.map((step) => step.label.length))
  const lines = [title]
  for (const one of series) {
    if (one.group !== '') lines.push('', one.group)
    for (const step of one.steps) {
      const bar = highest === 0 ? '' : (step.value < 0 ? '-' : '') + '█'.repeat(Math.round((Math.abs(step.value) / highest) * BAR_WIDTH))
      lines.push(`${`${step.from} → ${step.to}`.padEnd(periodWidth)}  ${step.label.padStart(labelWidth)}${bar === '' ? '' : `  ${bar}`}`)
    }
  }
  if (steps.length === 0) lines.push('(no steps)')
  return `${lines.join('\n')}\n`
}
