import { InvalidInputError } from '../errors/errors.js'
import { encodePoint } from '../codec/encode-portion.js'
import { pointBefore } from '../options/point-before.js'
import type { TableSqlContext } from '../statement/table-sql-context.js'
import { instantMicros, toInstant } from '../time/date-input.js'
import { textParameter } from '../values/text-parameter.js'

// The inputs of the sequenced and audit reads, checked before anything is
// sent, as the encoders of codec/ do for writes.

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
  if (start !== null && end !== null && !pointBefore(context.definition.validTime, start, end)) {
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
