import { RANGE_LB_INC, RANGE_UB_INF, Range, serialize as serializeRange } from 'postgres-range'
import { InvalidInputError } from '../errors/errors.js'
import { instantMicros, toDay, toInstant } from '../time/date-input.js'
import { isPlainObject } from '../values/is-plain-object.js'
import { unknownKeys, unknownKeysText } from '../values/unknown-keys.js'
import type { TableSqlContext } from './table-sql-context.js'

const tableName = (context: TableSqlContext): string => context.definition.name

/** The key as parameters `$1 … $k`: exactly the key columns, none null. */
export function encodeKey(context: TableSqlContext, key: unknown): (string | null)[] {
  const names = context.keys.map((k) => k.column.name)
  if (!isPlainObject(key)) {
    throw new InvalidInputError(`the key of "${tableName(context)}" must be an object { ${names.join(', ')} }`)
  }
  const unknown = unknownKeys(key, names)
  if (unknown.length > 0) {
    throw new InvalidInputError(
      `${unknown.join(', ')} ${unknown.length === 1 ? 'is not a key column' : 'are not key columns'} of "${tableName(context)}"; the key is { ${names.join(', ')} }`,
    )
  }
  return context.keys.map((codec) => {
    const value = key[codec.column.name]
    if (value === undefined || value === null) {
      throw new InvalidInputError(`key column "${codec.column.name}" of "${tableName(context)}" is missing`)
    }
    return codec.encode(value, tableName(context))
  })
}

/** A point of valid time: a day, or an instant on `effective: 'timestamp'` tables. */
export function encodePoint(context: TableSqlContext, point: unknown, what: string): string {
  return context.definition.validTime === 'date' ? toDay(point, what) : toInstant(point, what)
}

function before(context: TableSqlContext, a: string, b: string): boolean {
  return context.definition.validTime === 'date' ? a < b : instantMicros(a) < instantMicros(b)
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
  if (!before(context, from, to)) {
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

/**
 * The value parameters: for each value column, whether it was given and its
 * value. `complete` (set, insert) also requires every `not null` column
 * without a default.
 */
export function encodeValues(context: TableSqlContext, values: unknown, complete: boolean, operation: string): (string | null)[] {
  if (!isPlainObject(values)) {
    throw new InvalidInputError(`${operation} takes the values as an object of column name to value`)
  }
  const names = context.values.map((v) => v.column.name)
  const unknown = unknownKeys(values, names)
  if (unknown.length > 0) {
    throw new InvalidInputError(
      `${operation}: ${unknown.join(', ')} ${unknown.length === 1 ? 'is not a value column' : 'are not value columns'} of "${tableName(context)}"; its values are { ${names.join(', ')} }`,
    )
  }
  return context.values.flatMap((codec) => {
    const given = Object.prototype.hasOwnProperty.call(values, codec.column.name) && values[codec.column.name] !== undefined
    const value = given ? values[codec.column.name] : null
    // An explicit null never fits a not-null column; leaving a column out is
    // fine where it has a default, or where the write patches (update, correct).
    const missingRequired = !given && complete && codec.column.default === undefined
    if (value === null && codec.column.notNull === true && (given || missingRequired)) {
      throw new InvalidInputError(`${operation}: "${codec.column.name}" of "${tableName(context)}" is not null; give it a value`)
    }
    return [given ? 'true' : 'false', codec.encode(value, tableName(context))]
  })
}

/** `{ actor, reason }` of a write on an audited table; `actor` is required there. */
export function encodeAudit(context: TableSqlContext, options: { readonly actor?: unknown; readonly reason?: unknown }): unknown[] {
  if (!context.audit) {
    if (options.actor !== undefined || options.reason !== undefined) {
      throw new InvalidInputError(`"${tableName(context)}" records no actor or reason; define it with audit: true to record them`)
    }
    return []
  }
  const { actor, reason } = options
  if (typeof actor !== 'string' || actor.trim() === '' || actor.includes('\0')) {
    throw new InvalidInputError(`"${tableName(context)}" is audited: every write needs { actor } naming who makes the change`)
  }
  if (reason !== undefined && reason !== null && (typeof reason !== 'string' || reason.includes('\0'))) {
    throw new InvalidInputError(`reason must be a string`)
  }
  return [actor, reason ?? null]
}
