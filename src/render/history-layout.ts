import { describeValue } from '../errors/describe-value.js'
import { InvalidInputError } from '../errors/errors.js'
import { type CheckedVersion, type HistoryVersion, keyText } from './history-input.js'
import { type TimePoint, tickLabels } from './time-point.js'

/** A half-open span `[from, to)` of grid cells. */
export interface CellSpan {
  readonly from: number
  readonly to: number
}

/** One version as a rectangle of the grid: columns are valid time, rows are system time (row 0 the earliest). */
export interface HistoryBox<V extends HistoryVersion = HistoryVersion> {
  readonly version: V
  readonly label: string
  readonly columns: CellSpan
  readonly rows: CellSpan
  /** `effective.to` is unbounded: the box runs into the last column, drawn open. */
  readonly openValid: boolean
  /** `system.to` is unbounded: current knowledge, drawn open at the top. */
  readonly current: boolean
  /** Drawn highlighted: asserted or retracted by a change a diff shows (`renderDiff`). */
  readonly changed?: boolean
}

/**
 * The geometry both formats draw: versions mapped to rectangles of a grid
 * whose lines are the distinct bounds of the history, in order. Distances
 * are ordinal, not linear: each distinct instant is one grid line and the
 * cells between are equal, because transactions microseconds apart and
 * years apart must both stay visible. The tick labels keep the true values.
 */
export interface HistoryLayout<V extends HistoryVersion = HistoryVersion> {
  /** The key the versions belong to, `state_id=1, tax_type=income_tax`; `''` without versions. */
  readonly key: string
  /** Labels of the column lines, left to right; the last is `∞` when some version is valid until further notice. */
  readonly validTicks: readonly string[]
  /** Labels of the row lines, bottom (earliest) to top; the last is `now` when some version is current. */
  readonly systemTicks: readonly string[]
  readonly columns: number
  readonly rows: number
  /** In the order of the input. */
  readonly boxes: readonly HistoryBox<V>[]
}

/** The label markers of the unbounded ends. */
export const UNBOUNDED_VALID = '∞'
export const CURRENT_SYSTEM = 'now'

/**
 * Lays out checked versions of one key on the ordinal grid.
 *
 * @throws {InvalidInputError} when two versions overlap in both valid and
 *   system time: that is never a history (docs/semantics.md invariant 1), and drawing it
 *   would hide one rectangle under the other.
 */
export function layoutHistory<V extends HistoryVersion>(versions: readonly CheckedVersion<V>[], label: (version: V) => string): HistoryLayout<V> {
  const valid = axis(versions.flatMap((v) => [v.effective.from, v.effective.to]))
  const system = axis(versions.flatMap((v) => [v.system.from, v.system.to]))
  const boxes = versions.map((v, index) => {
    const text = label(v.version)
    if (typeof text !== 'string') {
      throw new InvalidInputError(`renderHistory: label must return a string, got ${describeValue(text)} for versions[${index}]`)
    }
    return Object.freeze({
      version: v.version,
      label: text.replace(/\s+/g, ' ').trim(),
      columns: Object.freeze({ from: valid.index(v.effective.from), to: valid.index(v.effective.to) }),
      rows: Object.freeze({ from: system.index(v.system.from), to: system.index(v.system.to) }),
      openValid: v.effective.to === null,
      current: v.system.to === null,
    })
  })
  assertDisjoint(boxes)
  const [first] = versions
  return Object.freeze({
    key: first === undefined ? '' : keyText(first.version.key),
    validTicks: valid.labels(UNBOUNDED_VALID),
    systemTicks: system.labels(CURRENT_SYSTEM),
    columns: Math.max(0, valid.lines - 1),
    rows: Math.max(0, system.lines - 1),
    boxes: Object.freeze(boxes),
  })
}

/** The grid lines of one axis: the distinct bounded points in order, then one line for "unbounded" if any end is. */
function axis(points: readonly (TimePoint | null)[]) {
  const bounded = [...new Map(points.flatMap((p) => (p === null ? [] : [[p.micros, p] as const]))).values()].sort((a, b) =>
    a.micros < b.micros ? -1 : a.micros > b.micros ? 1 : 0,
  )
  const positions = new Map(bounded.map((point, i) => [point.micros, i]))
  const open = points.includes(null)
  return {
    lines: bounded.length + (open ? 1 : 0),
    index: (point: TimePoint | null): number => (point === null ? bounded.length : (positions.get(point.micros) ?? -1)),
    labels: (unbounded: string): readonly string[] => Object.freeze([...tickLabels(bounded), ...(open ? [unbounded] : [])]),
  }
}

function overlaps(a: CellSpan, b: CellSpan): boolean {
  return a.from < b.to && b.from < a.to
}

function assertDisjoint(boxes: readonly HistoryBox[]): void {
  // Sorted by first row, a box can only meet those that start before it ends.
  const order = boxes.map((box, index) => ({ box, index })).sort((a, b) => a.box.rows.from - b.box.rows.from)
  order.forEach(({ box, index }, i) => {
    for (let j = i + 1; j < order.length; j++) {
      const other = order[j]
      if (other === undefined || other.box.rows.from >= box.rows.to) break
      if (overlaps(box.columns, other.box.columns)) {
        const [a, b] = index < other.index ? [index, other.index] : [other.index, index]
        throw new InvalidInputError(
          `renderHistory: versions[${a}] and versions[${b}] overlap in both valid and system time; a history never has two versions of one key known at once for the same date`,
        )
      }
    }
  })
}
