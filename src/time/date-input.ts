import { isExists, isValid, parseISO } from 'date-fns'
import { describeValue } from '../errors/describe-value.js'
import { InvalidInputError } from '../errors/errors.js'

/** A calendar day: `'YYYY-MM-DD'`, or a `Date` taken by its UTC calendar day. */
export type DateInput = string | Date

/**
 * A point in time: an ISO 8601 string with `Z` or an offset (microseconds
 * kept), or a `Date`. As `knownAt`, a `Date` is read as the last
 * microsecond of its millisecond ({@link toKnownAt}); elsewhere as its first.
 */
export type InstantInput = string | Date

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/
// Day, hours, minutes, seconds and up to six fraction digits: the part instants and timestamps share.
const WALL_CLOCK = String.raw`(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?`
// An offset is required: without one PostgreSQL would read the time in the session's TimeZone.
const INSTANT = new RegExp(`^${WALL_CLOCK}(Z|[+-]\\d{2}:?\\d{2})$`, 'i')
// None is allowed: a timestamp without time zone would drop it without a word.
const LOCAL_TIMESTAMP = new RegExp(`^${WALL_CLOCK}$`, 'i')

/**
 * Whether `'YYYY-MM-DD'` names a day that exists (not `'2023-02-30'`), in the
 * years 0001–9999. `isExists` checks the numbers, at a fraction of the cost
 * of parsing the text with `parseISO` (which every write paid for both ends
 * of its portion); it builds a `Date` from them, which reads years below 100
 * as 19xx, so those few still go through `parseISO`.
 */
function dayExists(day: string): boolean {
  const match = DAY.exec(day)
  if (match === null || match[1] === '0000') return false
  const year = Number(match[1])
  return year >= 100 ? isExists(year, Number(match[2]) - 1, Number(match[3])) : isValid(parseISO(day))
}

/**
 * Validates a calendar day and returns it as `'YYYY-MM-DD'`. A `Date` gives
 * its UTC day, never the local one, so the result does not depend on `TZ`.
 *
 * @throws {InvalidInputError} for anything else, including days that do not
 *   exist (`'2023-02-30'`) and years outside 0001–9999.
 */
export function toDay(input: unknown, what: string): string {
  if (input instanceof Date) {
    if (!isValid(input)) throw new InvalidInputError(`${what} is an invalid Date`)
    const day = input.toISOString().slice(0, 10)
    if (!DAY.test(day) || day.startsWith('0000')) throw new InvalidInputError(`${what} (${input.toISOString()}) is outside the years 0001–9999`)
    return day
  }
  if (typeof input !== 'string' || !dayExists(input)) {
    throw new InvalidInputError(`${what} must be a date 'YYYY-MM-DD' that exists (or a Date), got ${describeValue(input)}`)
  }
  return input
}

/** Whether a {@link WALL_CLOCK} match names a day that exists and a time of day (no hour 24, no leap second). */
function wallClockExists(match: RegExpExecArray): boolean {
  const [, day = '', hours = '', minutes = '', seconds = ''] = match
  return dayExists(day) && Number(hours) <= 23 && Number(minutes) <= 59 && Number(seconds) <= 59
}

/**
 * Whether `ms` is an instant whose UTC day is in the years 0001–9999: an
 * offset can move a string's own day out of them ('0001-01-01T00:00:00+01:00'
 * is in year 0, which PostgreSQL writes as 0001 BC and reads back as AD).
 */
function inSupportedYears(ms: number): boolean {
  if (Number.isNaN(ms)) return false
  const year = new Date(ms).getUTCFullYear()
  return year >= 1 && year <= 9999
}

/**
 * Validates a point in time and returns it as an ISO string PostgreSQL reads
 * the same way in every session. Microseconds in a string are kept (a `Date`
 * has only milliseconds).
 *
 * @throws {InvalidInputError} for anything else, including a string without
 *   `Z` or an offset, which would be read in the session's time zone, and
 *   one whose offset moves it out of the years 0001–9999 in UTC.
 */
export function toInstant(input: unknown, what: string): string {
  if (input instanceof Date) {
    if (!isValid(input)) throw new InvalidInputError(`${what} is an invalid Date`)
    if (!inSupportedYears(input.getTime())) throw new InvalidInputError(`${what} (${input.toISOString()}) is outside the years 0001–9999`)
    return input.toISOString()
  }
  const match = typeof input === 'string' ? INSTANT.exec(input) : null
  const offset = match?.[6] ?? 'Z'
  if (
    match === null ||
    !wallClockExists(match) ||
    // PostgreSQL reads offsets up to 15:59.
    (offset !== 'Z' && offset !== 'z' && Number(offset.slice(1, 3)) > 15) ||
    Number(offset.slice(-2)) > 59 ||
    !inSupportedYears(Date.parse((input as string).replace(/\.\d+/, '')))
  ) {
    throw new InvalidInputError(
      `${what} must be an ISO 8601 time with Z or an offset, e.g. '2023-10-16T09:30:00.123456Z' (or a Date), got ${describeValue(input)}`,
    )
  }
  return input as string
}

/**
 * Validates a system-time instant to read at (`knownAt`) and returns it as
 * {@link toInstant} does, except that a `Date` is read as the **last
 * microsecond of its millisecond** (`….123999Z`): a `Date` names a whole
 * millisecond, and everything the database knew by the end of it is what
 * it saw (docs/semantics.md §5). A write's `systemTime` has
 * microseconds a `Date` drops, so `new Date(w.systemTime)` (or a
 * `timestamptz` column that `pg` parsed) read as its first microsecond
 * lands before `w` and misses it; read as its last, it sees `w`. A string
 * keeps its exact microseconds.
 *
 * Only for instants read at. The ends of an interval (`changes`' `since`
 * and `until`), `expect` and a valid-time point keep a `Date` at its first
 * microsecond, through {@link toInstant}.
 *
 * @example
 * ```ts
 * toKnownAt(new Date('2026-11-22T04:20:03.077Z'), 'asOf: knownAt') // '2026-11-22T04:20:03.077999Z'
 * toKnownAt('2026-11-22T04:20:03.077724Z', 'asOf: knownAt')        // '2026-11-22T04:20:03.077724Z'
 * ```
 * @throws {InvalidInputError} as {@link toInstant}.
 */
export function toKnownAt(input: unknown, what: string): string {
  const instant = toInstant(input, what)
  // A valid Date in the years 0001–9999 always gives '…T…:…:….mmmZ'.
  return input instanceof Date ? `${instant.slice(0, -1)}999Z` : instant
}

/**
 * Validates a `timestamp without time zone` value and returns it as
 * `'YYYY-MM-DDTHH:MM:SS[.ffffff]'`, which PostgreSQL reads the same way
 * under every DateStyle. A `Date` gives its UTC wall-clock time. A string
 * with `Z` or an offset is refused: the type would drop the offset without a
 * word.
 *
 * @throws {InvalidInputError} for anything else, including `'infinity'`,
 *   BC years, days that do not exist and years outside 0001–9999.
 */
export function toLocalTimestamp(input: unknown, what: string): string {
  if (input instanceof Date) return toInstant(input, what).slice(0, -1)
  const match = typeof input === 'string' ? LOCAL_TIMESTAMP.exec(input) : null
  if (match === null || !wallClockExists(match)) {
    const offset = typeof input === 'string' && INSTANT.test(input) ? ' (without Z or an offset: a timestamp without time zone would drop it; use a timestamptz column for instants)' : ''
    throw new InvalidInputError(
      `${what} must be a timestamp 'YYYY-MM-DDTHH:MM:SS[.ffffff]' that exists${offset} (or a Date), got ${describeValue(input)}`,
    )
  }
  return input as string
}

/**
 * Microseconds since the epoch of a string {@link toInstant} accepted, for
 * comparing bounds without losing the digits a `Date` drops.
 */
export function instantMicros(instant: string): bigint {
  const match = INSTANT.exec(instant)
  const fraction = (match?.[5] ?? '').padEnd(6, '0')
  const wholeSeconds = instant.replace(/\.\d+/, '')
  return BigInt(Date.parse(wholeSeconds)) * 1000n + BigInt(fraction)
}
