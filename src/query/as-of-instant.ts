import { InvalidInputError } from '../errors/errors.js'
import type { TableDefinition } from '../schema/define-table.js'
import { type InstantInput, toDay, toInstant, toKnownAt } from '../time/date-input.js'
import { isPlainObject } from '../values/is-plain-object.js'
import { unknownKeys, unknownKeysText } from '../values/unknown-keys.js'

/**
 * `validAt: 'any'`: every valid time, i.e. the whole timeline known at
 * `knownAt` rather than the one version valid at one day.
 */
export const ANY_VALID_TIME = 'any'

/**
 * One instant on both time axes, for {@link asOf}, `repo.query` and
 * {@link asOfPlugin}.
 */
export interface AsOfInstant {
  /**
   * The valid-time instant: a day `'YYYY-MM-DD'` (or a `Date`, taken by its
   * UTC day); on tables defined with `effective: 'timestamp'`, an ISO 8601
   * instant with `Z` or an offset (or a `Date`). `'any'`
   * ({@link ANY_VALID_TIME}) puts no restriction on valid time.
   *
   * Default: today, the UTC calendar day of the database server's clock
   * (`now()` on timestamp tables), as in `repo.asOf`.
   */
  // `string & {}` rather than `string`: editors still offer 'any'.
  readonly validAt?: typeof ANY_VALID_TIME | (string & {}) | Date
  /**
   * The system-time instant: an ISO 8601 instant with `Z` or an offset
   * (microseconds kept), or a `Date`, which names a whole millisecond and is
   * read as its last microsecond. A write's `systemTime` sees that write,
   * and so does `new Date(systemTime)`.
   *
   * Default: current knowledge, the versions whose system range is open
   * (`upper_inf(system)`), not "the timestamp now".
   */
  readonly knownAt?: InstantInput
}

/** An {@link AsOfInstant} validated for one table. */
export interface ResolvedInstant {
  /** `'today'` and `'any'` as documented; otherwise the validated day or instant. */
  readonly validAt: 'today' | 'any' | { readonly at: string }
  /** The validated instant, or `null` for current knowledge. */
  readonly knownAt: string | null
}

const CURRENT_TODAY: ResolvedInstant = Object.freeze({ validAt: 'today', knownAt: null })

const KNOWN_OPTIONS: readonly string[] = ['validAt', 'knownAt']

/**
 * Validates `at` for `definition`'s granularity of valid time.
 *
 * @param what the call, for error messages: `'asOf'`, `'query'`, `'asOfPlugin'`.
 * @throws {InvalidInputError} for anything but `{ validAt?, knownAt? }` with
 *   a valid day (or instant) and a valid instant. Unknown options are errors
 *   too: a misspelt `validat` would otherwise silently mean "today".
 */
export function resolveInstant(definition: TableDefinition, at: unknown, what: string): ResolvedInstant {
  if (at === undefined) return CURRENT_TODAY
  if (!isPlainObject(at)) {
    throw new InvalidInputError(`${what}: the instant must be an object { validAt?, knownAt? }`)
  }
  const unknown = unknownKeys(at, KNOWN_OPTIONS)
  if (unknown.length > 0) {
    throw new InvalidInputError(`${what}: ${unknownKeysText(unknown, 'option')}; the instant is { validAt?, knownAt? }`)
  }
  const { validAt, knownAt } = at
  return Object.freeze({
    validAt:
      validAt === undefined
        ? 'today'
        : validAt === ANY_VALID_TIME
          ? 'any'
          : Object.freeze({
              at: definition.validTime === 'date' ? toDay(validAt, `${what}: validAt`) : toInstant(validAt, `${what}: validAt`),
            }),
    knownAt: knownAt === undefined ? null : toKnownAt(knownAt, `${what}: knownAt`),
  })
}
