import { describeValue } from '../errors/describe-value.js'
import { InvalidInputError } from '../errors/errors.js'
import { readOptions } from '../options/read-options.js'
import { instantMicros, toKnownAt } from '../time/date-input.js'
import { isPlainObject } from '../values/is-plain-object.js'
import { checkVersions, type HistoryVersion, keyText } from './history-input.js'
import { layoutHistory } from './history-layout.js'
import { defaultLabel } from './render-history.js'
import { svgHistory } from './svg-history.js'
import { textHistory } from './text-history.js'
import { timePoint } from './time-point.js'

/** What {@link renderDiff} needs of a diff row (as `repo.diff` returns them): where in valid time it differs. */
export interface DiffPiece {
  readonly key: Readonly<Record<string, unknown>>
  readonly effective: { readonly from: string; readonly to: string | null }
}

/** Options of {@link renderDiff}. */
export interface RenderDiffOptions<V extends HistoryVersion = HistoryVersion> {
  readonly format: 'svg' | 'text'
  /** The `before` the diff was read with. Required. */
  readonly before: string | Date
  /** The `after` it was read with; default (`undefined` or `null`): current knowledge. */
  readonly after?: string | Date | null
  /** The text in each version's rectangle, as in `renderHistory`. */
  readonly label?: (version: V) => string
  /** The heading. Default: `Changes to state_id=1, tax_type=income_tax between … and …`. */
  readonly title?: string
  /** Text format only: ANSI colours (changed versions' labels red). Default: `false`. */
  readonly color?: boolean
}

const OPTIONS = ['format', 'before', 'after', 'label', 'title', 'color'] as const

/**
 * The diff of one key drawn on its bitemporal diagram (`renderHistory`'s
 * picture): the versions asserted or retracted after `before` and up to
 * `after` over valid time where the diff found a difference are
 * highlighted, an orange border in SVG and `✱` before the label in text.
 * Those are the versions of the changes the diff reports; a version
 * re-asserted with the same values over valid time that did not change is
 * not highlighted.
 *
 * @example
 * ```ts
 * const key = { state_id: 1, tax_type: 'income_tax' }
 * const before = '2023-04-01T00:00:00Z'
 * const picture = renderDiff(await taxRates.history(key), await taxRates.diff({ before, key }), { format: 'text', before })
 * ```
 *
 * @throws {InvalidInputError} for versions `renderHistory` refuses, diff rows
 *   of another key than the history's, or bad options.
 */
export function renderDiff<V extends HistoryVersion>(history: readonly V[], diff: readonly DiffPiece[], options: RenderDiffOptions<V>): string {
  const checked = readOptions(options, 'renderDiff', OPTIONS, ['format', 'before'])
  const { format, label = defaultLabel, title, color } = checked as Partial<RenderDiffOptions<V>>
  if (format !== 'svg' && format !== 'text') throw new InvalidInputError(`renderDiff: format must be 'svg' or 'text', got ${describeValue(format)}`)
  if (typeof label !== 'function') throw new InvalidInputError('renderDiff: label must be a function (version) => string')
  if (title !== undefined && typeof title !== 'string') throw new InvalidInputError('renderDiff: title must be a string')
  if (color !== undefined && typeof color !== 'boolean') throw new InvalidInputError('renderDiff: color must be true or false')
  if (checked['before'] === undefined || checked['before'] === null) throw new InvalidInputError('renderDiff: { before } is required: the before the diff was read with')
  const before = toKnownAt(checked['before'], 'renderDiff: before')
  const after = checked['after'] === undefined || checked['after'] === null ? null : toKnownAt(checked['after'], 'renderDiff: after')
  const versions = checkVersions<V>(history)
  const pieces = checkPieces(diff, versions[0]?.version.key)
  const from = instantMicros(before)
  const to = after === null ? null : instantMicros(after)
  // (before, after]: the same half-open interval the diff reads its changes from.
  const inInterval = (micros: bigint | undefined): boolean => micros !== undefined && micros > from && (to === null || micros <= to)
  const layout = layoutHistory(versions, label)
  const boxes = layout.boxes.map((box, index) => {
    const version = versions[index]
    if (version === undefined) return box
    const touched = inInterval(version.system.from.micros) || inInterval(version.system.to?.micros)
    const overlapping = pieces.some((piece) => piece.from < (version.effective.to?.micros ?? Infinity) && version.effective.from.micros < piece.to)
    return touched && overlapping ? Object.freeze({ ...box, changed: true }) : box
  })
  const highlighted = Object.freeze({ ...layout, boxes: Object.freeze(boxes) })
  const heading = title ?? `Changes${layout.key === '' ? '' : ` to ${layout.key}`} between ${before} and ${after ?? 'now'}`
  return format === 'svg' ? svgHistory(highlighted, { title: heading }) : textHistory(highlighted, { title: heading, color: color ?? false })
}

/** The valid-time spans of the diff rows, in microseconds (`Infinity` for an open end), all of the history's key. */
function checkPieces(diff: unknown, key: Readonly<Record<string, unknown>> | undefined): readonly { from: bigint; to: bigint | number }[] {
  if (!Array.isArray(diff)) throw new InvalidInputError(`renderDiff: diff must be an array of diff rows, e.g. await repository.diff({ before, key }), got ${describeValue(diff)}`)
  return (diff as readonly unknown[]).map((row, index) => {
    const at = `diff[${String(index)}]`
    if (!isPlainObject(row) || !isPlainObject(row['key']) || !isPlainObject(row['effective'])) {
      throw new InvalidInputError(`renderDiff: ${at} must be a diff row { key, effective, before, after }, got ${describeValue(row)}`)
    }
    const rowKey = row['key'] as Readonly<Record<string, unknown>>
    if (key !== undefined && keyText(rowKey) !== keyText(key)) {
      throw new InvalidInputError(`renderDiff: ${at} has key ${keyText(rowKey)} but the history is of ${keyText(key)}; diff one key ({ key }) to draw it`)
    }
    const effective = row['effective']
    const from = timePoint(effective['from'], `${at}.effective.from`).micros
    return { from, to: effective['to'] === null ? Infinity : timePoint(effective['to'], `${at}.effective.to`).micros }
  })
}
