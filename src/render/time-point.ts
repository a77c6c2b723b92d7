import { describeValue } from '../errors/describe-value.js'
import { InvalidInputError } from '../errors/errors.js'
import { instantMicros, toDay, toInstant } from '../time/date-input.js'

/** A bound of a version's range: the text as given and its position in microseconds since the epoch. */
export interface TimePoint {
  readonly text: string
  readonly micros: bigint
}

const DAY = /^\d{4}-\d{2}-\d{2}$/

/**
 * Reads a range bound of a version: a `'YYYY-MM-DD'` day (taken as UTC
 * midnight, so days and instants sort together on timestamp tables) or an
 * ISO instant with `Z` or an offset. Microseconds are kept: two system times
 * one microsecond apart must stay two ticks.
 *
 * @throws {InvalidInputError} for anything else.
 */
export function timePoint(input: unknown, what: string): TimePoint {
  if (typeof input !== 'string') {
    throw new InvalidInputError(`renderHistory: ${what} must be a string ('YYYY-MM-DD' or an ISO instant), got ${describeValue(input)}`)
  }
  if (DAY.test(input)) {
    const day = toDay(input, `renderHistory: ${what}`)
    return Object.freeze({ text: day, micros: BigInt(Date.parse(`${day}T00:00:00Z`)) * 1000n })
  }
  const instant = toInstant(input, `renderHistory: ${what}`)
  return Object.freeze({ text: instant, micros: instantMicros(instant) })
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0')

// Coarsest first: the labels of one axis use the first precision at which all
// its ticks are told apart. Transactions of one session are microseconds
// apart, a hand-written story is hours apart; both get short true labels.
// Instants are never cut to a bare day, which would read as a valid-time date.
const PRECISIONS = [
  { name: 'minute', unit: 60_000_000n },
  { name: 'second', unit: 1_000_000n },
  { name: 'millisecond', unit: 1_000n },
  { name: 'microsecond', unit: 1n },
] as const

type Precision = (typeof PRECISIONS)[number]['name']

function formatMicros(micros: bigint, precision: Precision): string {
  const millis = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n)
  const date = new Date(Number(millis))
  const day = `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`
  const minute = `${day} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}`
  if (precision === 'minute') return minute
  const second = `${minute}:${pad(date.getUTCSeconds())}`
  if (precision === 'second') return second
  const fraction = pad(Number(((micros % 1_000_000n) + 1_000_000n) % 1_000_000n), 6)
  return `${second}.${precision === 'millisecond' ? fraction.slice(0, 3) : fraction}`
}

/**
 * Axis labels for distinct, sorted points: days stay as written; instants
 * are shown in UTC, truncated to the coarsest precision that still tells
 * every tick apart (the exact values are in the SVG tooltips).
 */
export function tickLabels(points: readonly TimePoint[]): readonly string[] {
  if (points.every((point) => DAY.test(point.text))) return Object.freeze(points.map((point) => point.text))
  const precision =
    PRECISIONS.find(({ unit }) => new Set(points.map((point) => (point.micros - (((point.micros % unit) + unit) % unit)).toString())).size === points.length)?.name ??
    'microsecond'
  return Object.freeze(points.map((point) => formatMicros(point.micros, precision)))
}
