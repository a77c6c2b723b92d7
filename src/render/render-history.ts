import { describeValue } from '../errors/describe-value.js'
import { InvalidInputError } from '../errors/errors.js'
import { readOptions } from '../options/read-options.js'
import { checkVersions, type HistoryVersion, valueText } from './history-input.js'
import { layoutHistory } from './history-layout.js'
import { svgHistory } from './svg-history.js'
import { textHistory } from './text-history.js'

/** Options of {@link renderHistory}. */
export interface RenderHistoryOptions<V extends HistoryVersion = HistoryVersion> {
  /** `'svg'`: a self-contained SVG document for docs and web pages. `'text'`: box-drawing characters for a terminal. */
  readonly format: 'svg' | 'text'
  /** The text in each version's rectangle. Default: its values as `name value`, joined by `, ` (`rate 0.15`). */
  readonly label?: (version: V) => string
  /** The heading (and the SVG's `<title>`). Default: `History of state_id=1, tax_type=income_tax`, from the key. */
  readonly title?: string
  /** Text format only: ANSI colours, current blue and superseded grey. Default: `false` (plain text; the two differ without colour too). */
  readonly color?: boolean
}

const OPTIONS = ['format', 'label', 'title', 'color'] as const

/**
 * Draws the classic bitemporal diagram of one key's history: valid time
 * (`effective`) along the x axis, system time up the y axis, each version a
 * rectangle labelled with its values. Current versions are solid (blue in
 * SVG, double borders in text), superseded ones grey and hatched (single
 * borders and `░` in text); unbounded ends are dashed and run to the `∞`
 * column or the `now` row.
 *
 * Both axes are ordinal: every distinct date and system time is one evenly
 * spaced grid line, so transactions microseconds apart stay as visible as
 * changes years apart. Tick labels are the true values: dates as stored,
 * system times in UTC cut to the coarsest precision that tells them apart
 * (each SVG rectangle's tooltip has the exact ranges).
 *
 * An empty array draws an empty diagram that says so. Versions of several
 * keys are refused: a history is one entity's, as `history(key)` returns it.
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises'
 * const versions = await taxRates.history({ state_id: 1, tax_type: 'income_tax' })
 * console.log(renderHistory(versions, { format: 'text' }))
 * await writeFile('history.svg', renderHistory(versions, { format: 'svg', label: (v) => `${v.values.rate} %` }))
 * ```
 *
 * @throws {InvalidInputError} when `versions` is not an array of versions of
 *   one key with valid, non-empty, non-overlapping ranges, or for bad options.
 */
export function renderHistory<V extends HistoryVersion>(versions: readonly V[], options: RenderHistoryOptions<V>): string {
  const checked = readOptions(options, 'renderHistory', OPTIONS)
  const { format, label = defaultLabel, title, color } = checked as Partial<RenderHistoryOptions<V>>
  if (format !== 'svg' && format !== 'text') {
    throw new InvalidInputError(`renderHistory: format must be 'svg' or 'text', got ${describeValue(format)}`)
  }
  if (typeof label !== 'function') throw new InvalidInputError(`renderHistory: label must be a function (version) => string`)
  if (title !== undefined && typeof title !== 'string') throw new InvalidInputError(`renderHistory: title must be a string`)
  if (color !== undefined && typeof color !== 'boolean') throw new InvalidInputError(`renderHistory: color must be true or false`)
  const layout = layoutHistory(checkVersions<V>(versions), label)
  const heading = title ?? (layout.key === '' ? 'History' : `History of ${layout.key}`)
  return format === 'svg' ? svgHistory(layout, { title: heading }) : textHistory(layout, { title: heading, color: color ?? false })
}

/** `rate 0.15`: each value as `name value`, joined by `, `. */
export function defaultLabel(version: HistoryVersion): string {
  return Object.entries(version.values)
    .map(([name, value]) => `${name} ${valueText(value)}`)
    .join(', ')
}
