import { RANGE_LB_INC, RANGE_UB_INF, Range, serialize as serializeRange } from 'postgres-range'
import { InvalidInputError } from '../errors/errors.js'
import { pointBefore } from '../options/point-before.js'
import { toDay, toInstant } from '../time/date-input.js'
import { isPlainObject } from '../values/is-plain-object.js'
import { unknownKeys, unknownKeysText } from '../values/unknown-keys.js'
import type { TableSqlContext } from '../statement/table-sql-context.js'

/** A point of valid time: a day, or an instant on `effective: 'timestamp'` tables. */
export function encodePoint(context: TableSqlContext, point: unknown, what: string): string {
  return context.definition.validTime === 'date' ? toDay(point, what) : toInstant(point, what)
}

const PORTION_KEYS: readonly string[] = ['from', 'to']

/**
 * The fields of a portion `{ from, to? }`, checked to be an object with no
 * other key. A misspelt end (`unti`, `To`) would otherwise be left out, and
 * the portion read as unbounded: the write would reach from `from` on for
 * good (docs/semantics.md §3).
 *
 * @param name how the message calls the portion: `'the portion'`, or
 *   `'effective'` for a version of `load`.
 * @throws {InvalidInputError} naming the unknown keys, before anything is sent.
 * @example
 * ```ts
 * portionFields({ from: '2024-03-01', unti: '2024-04-01' }, 'set')
 * // InvalidInputError: bitemporal: set: unknown key "unti" in the portion; the portion is { from, to? }
 * ```
 */
export function portionFields(portion: unknown, operation: string, name = 'the portion'): Readonly<Record<string, unknown>> {
  if (!isPlainObject(portion)) {
    throw new InvalidInputError(`${operation} takes a portion { from, to? } of valid time`)
  }
  const unknown = unknownKeys(portion, PORTION_KEYS)
  if (unknown.length > 0) {
    throw new InvalidInputError(`${operation}: ${unknownKeysText(unknown)} in ${name}; ${name} is { from, to? }`)
  }
  return portion
}

/** A portion `[from, to)` of valid time, checked; `to: null` is unbounded. */
export interface PortionBounds {
  readonly from: string
  readonly to: string | null
}

/**
 * The bounds of a portion `{ from, to? }`, checked ({@link portionFields}
 * for its keys, `name` included): `to` omitted or null means unbounded.
 */
export function portionBounds(context: TableSqlContext, portion: unknown, operation: string, name?: string): PortionBounds {
  const fields = portionFields(portion, operation, name)
  const from = encodePoint(context, fields['from'], `${operation}: from`)
  const rawTo = fields['to']
  if (rawTo === undefined || rawTo === null) return { from, to: null }
  const to = encodePoint(context, rawTo, `${operation}: to`)
  if (!pointBefore(context.definition.validTime, from, to)) {
    throw new InvalidInputError(
      `${operation}: the portion [${from}, ${to}) is ${from === to ? 'empty' : 'reversed'}; 'to' is exclusive and must come after 'from'`,
    )
  }
  return { from, to }
}

/**
 * `[from, to)` as a range parameter: the range's text, `'["2023-01-01","2023-02-01")'`,
 * which every driver sends as it is (`docs/drivers.md`), not an object that
 * only node-postgres knows how to write.
 */
export function encodePortion(context: TableSqlContext, portion: unknown, operation: string): string {
  const { from, to } = portionBounds(context, portion, operation)
  return serializeRange(to === null ? new Range(from, null, RANGE_LB_INC | RANGE_UB_INF) : new Range(from, to, RANGE_LB_INC))
}

/**
 * The point `{ at }` of `correct`, checked to be an object with no other
 * key: `{ at, to }` would otherwise correct the whole version at `at` and
 * drop `to` without a word.
 *
 * @throws {InvalidInputError} naming an unknown key, or for a bad `at`.
 */
export function encodeAt(context: TableSqlContext, point: unknown, operation: string): string {
  if (!isPlainObject(point)) {
    throw new InvalidInputError(`${operation} takes the point { at } of valid time whose version it changes`)
  }
  const unknown = unknownKeys(point, ['at'])
  if (unknown.length > 0) {
    throw new InvalidInputError(`${operation}: ${unknownKeysText(unknown)} in the point; the point is { at }`)
  }
  return encodePoint(context, point['at'], `${operation}: at`)
}

