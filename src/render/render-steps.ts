import { describeValue } from '../errors/describe-value.js'
import { InvalidInputError } from '../errors/errors.js'
import { readOptions } from '../options/read-options.js'
import { checkSteps, type StepInput } from './steps-input.js'
import { layoutSteps } from './steps-layout.js'
import { escapeXml, SVG_PALETTE } from './svg-history.js'
import { svgSteps } from './svg-steps.js'
import { textSteps } from './text-steps.js'

/** Options of {@link renderSteps}. */
export interface RenderStepsOptions {
  /** `'svg'`: a self-contained SVG document. `'text'`: one line per step with a bar, for a terminal. */
  readonly format: 'svg' | 'text'
  /** Which measure to draw. Default: `count` when the steps have one, else `sum`. */
  readonly measure?: 'count' | 'sum'
  /** The heading (and the SVG's `<title>`). Default: `Count over valid time` or `Sum over valid time`. */
  readonly title?: string
}

const OPTIONS = ['format', 'measure', 'title'] as const

/**
 * Draws the result of `repo.aggregate` as a step chart: valid time along
 * the x axis in proportion, the measure up the y axis, each level held
 * over its period; with `groupBy`, one line per group (SVG, with a legend)
 * or one block per group (text). The sibling of `renderHistory`: input
 * checked, then laid out, then drawn in either format.
 *
 * @example
 * ```ts
 * const steps = await subscriptions.aggregate({ validFrom: '2024-01-01', validTo: '2025-01-01', count: true, sum: 'mrr' })
 * console.log(renderSteps(steps, { format: 'text', title: 'Active subscriptions' }))
 * await writeFile('mrr.svg', renderSteps(steps, { format: 'svg', measure: 'sum', title: 'MRR' }))
 * ```
 *
 * @throws {InvalidInputError} when `steps` is not an array of steps with
 *   valid periods and the measure drawn, or for bad options.
 */
export function renderSteps(steps: readonly StepInput[], options: RenderStepsOptions): string {
  const checked = readOptions(options, 'renderSteps', OPTIONS) as Partial<RenderStepsOptions>
  const { format, title } = checked
  if (format !== 'svg' && format !== 'text') throw new InvalidInputError(`renderSteps: format must be 'svg' or 'text', got ${describeValue(format)}`)
  if (title !== undefined && typeof title !== 'string') throw new InvalidInputError('renderSteps: title must be a string')
  // Plain JavaScript callers can pass anything.
  const measure: unknown = checked.measure ?? (Array.isArray(steps) && steps.length > 0 && !('count' in (steps[0] ?? {})) ? 'sum' : 'count')
  if (measure !== 'count' && measure !== 'sum') throw new InvalidInputError(`renderSteps: measure must be 'count' or 'sum', got ${describeValue(measure)}`)
  const series = checkSteps(steps, measure)
  const heading = title ?? `${measure === 'count' ? 'Count' : 'Sum'} over valid time`
  if (format === 'text') return textSteps(series, heading)
  if (series.length === 0) {
    return `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="60"><title>${escapeXml(heading)}</title><rect width="100%" height="100%" fill="${SVG_PALETTE.background}"/><text x="12" y="36" fill="${SVG_PALETTE.axis}">No steps</text></svg>\n`
  }
  return svgSteps(layoutSteps(series), heading)
}
