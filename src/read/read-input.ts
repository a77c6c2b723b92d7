import { InvalidInputError } from '../errors/errors.js'
import type { TableSqlContext } from '../repository/table-sql-context.js'
import { encodePoint } from '../repository/write-input.js'
import { instantMicros, toInstant } from '../time/date-input.js'
import { isPlainObject } from '../values/is-plain-object.js'
import { textParameter } from '../values/text-parameter.js'
import { unknownKeys, unknownKeysText } from '../values/unknown-keys.js'

// The inputs of the sequenced and audit reads, checked before anything is
// sent, as write-input.ts does for writes.

/**
 * Checks the options object of a read: a plain object whose keys are all
 * among `known`. A misspelt option (`knownat`, `untill`) would otherwise be
 * ignored and quietly answer a different question, e.g. current knowledge
 * instead of the past instant the caller meant. The shape in the message
 * marks the options not in `required` with `?`; whether a required one is
 * there is the caller's check, with its own message.
 *
 * @throws {InvalidInputError} naming `operation` and the accepted shape.
 *
 * @example
 * readOptions({ sinse: t }, 'changes', ['since', 'until', 'key'], ['since'])
 * // InvalidInputError: bitemporal: changes: unknown option "sinse"; the options are { since, until?, key? }
 */
export function readOptions(options: unknown, operation: string, known: readonly string[], required: readonly string[] = []): Readonly<Record<string, unknown>> {
  // Built only for a message: every read and write passes through here.
  const shape = (): string => `{ ${known.map((name) => (required.includes(name) ? name : `${name}?`)).join(', ')} }`
  if (!isPlainObject(options)) {
    throw new InvalidInputError(`${operation}: options must be an object ${shape()}`)
  }
  const unknown = unknownKeys(options, known)
  if (unknown.length > 0) {
    throw new InvalidInputError(`${operation}: ${unknownKeysText(unknown, 'option')}; the options are ${shape()}`)
  }
  return options
}

/**
 * A window `[from, to)` of valid time as two parameters, `null` for an
 * unbounded (omitted or `null`) end,
 * checked before anything is sent: each end must be a valid point of the
 * table's valid time and `from` must come before `to`.
 *
 * @throws {InvalidInputError} for a bad day or instant, or an empty or reversed window.
 */
export function encodeWindow(context: TableSqlContext, from: unknown, to: unknown, operation: string): readonly [string | null, string | null] {
  const start = from === undefined || from === null ? null : encodePoint(context, from, `${operation}: from`)
  const end = to === undefined || to === null ? null : encodePoint(context, to, `${operation}: to`)
  if (start !== null && end !== null && !before(context, start, end)) {
    throw new InvalidInputError(
      `${operation}: the window [${start}, ${end}) is ${start === end ? 'empty' : 'reversed'}; 'to' is exclusive and must come after 'from'`,
    )
  }
  return [start, end]
}

/**
 * The window as a range expression over two parameters, e.g.
 * `daterange($2::text::date, $3::text::date, '[)')`: a null parameter is an unbounded
 * end, so one statement serves every combination of ends.
 */
export function windowSql(context: TableSqlContext, fromParameter: number, toParameter: number): string {
  const { rangeType, pointType } = context
  return `${rangeType}(${textParameter(fromParameter, pointType)}, ${textParameter(toParameter, pointType)}, '[)')`
}

function before(context: TableSqlContext, a: string, b: string): boolean {
  // Instants may carry offsets and microseconds: compare them as numbers, not text.
  return context.definition.validTime === 'date' ? a < b : instantMicros(a) < instantMicros(b)
}

/**
 * The system-time interval `[since, until)` of `changes` as two parameters,
 * `until` `null` when unbounded. Both are instants with `Z` or an offset (or
 * `Date`s); `since` is required and must come before `until`.
 *
 * @throws {InvalidInputError} for a missing or bad instant, or an empty or reversed interval.
 */
export function encodeSystemInterval(since: unknown, until: unknown, operation: string): readonly [string, string | null] {
  if (since === undefined || since === null) {
    throw new InvalidInputError(`${operation}: { since } is required: the system time the interval starts at`)
  }
  const start = toInstant(since, `${operation}: since`)
  const end = until === undefined || until === null ? null : toInstant(until, `${operation}: until`)
  if (end !== null && instantMicros(start) >= instantMicros(end)) {
    throw new InvalidInputError(
      `${operation}: the interval [${start}, ${end}) is ${instantMicros(start) === instantMicros(end) ? 'empty' : 'reversed'}; 'until' is exclusive and must come after 'since'`,
    )
  }
  return [start, end]
}
