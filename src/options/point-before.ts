import { instantMicros } from '../time/date-input.js'

/**
 * Whether point `earlier` of valid time comes before point `later`: days
 * (`'YYYY-MM-DD'`) compare as text; instants may carry offsets and
 * microseconds, so they compare as numbers, not text. The check behind every
 * `[from, to)` the library takes (a write's portion, a read's window).
 *
 * @param validTime the table's granularity of valid time (`definition.validTime`).
 * @example
 * ```ts
 * pointBefore('date', '2024-01-01', '2024-02-01')                                // true
 * pointBefore('timestamp', '2024-01-01T10:00:00+02:00', '2024-01-01T09:00:00Z')  // true
 * ```
 */
export function pointBefore(validTime: 'date' | 'timestamp', earlier: string, later: string): boolean {
  return validTime === 'date' ? earlier < later : instantMicros(earlier) < instantMicros(later)
}
