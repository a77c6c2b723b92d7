import { InvalidInputError } from '../../errors/errors.js'
import type { TableSqlContext } from '../../statement/table-sql-context.js'
import { encodeKey } from '../../codec/encode-key.js'
import type { DateInput, InstantInput } from '../../time/date-input.js'
import { instantMicros, toKnownAt } from '../../time/date-input.js'
import type { KeyOf, TableDefinition } from '../../schema/define-table.js'
import { encodeWindow } from '../read-input.js'
import { readOptions } from '../../options/read-options.js'

/** Options of `repo.diff`. */
export interface DiffOptions<D extends TableDefinition> {
  /**
   * The earlier state of knowledge: a system instant with `Z` or an offset
   * (microseconds kept), or a `Date` (read as its last microsecond, as
   * `knownAt` is, so `new Date(w.systemTime)` includes the write `w`).
   * Required.
   */
  readonly before: InstantInput
  /** The later state of knowledge, read like `before`, after it. Default (`undefined` or `null`): current knowledge. */
  readonly after?: InstantInput | null
  /** Only this entity. Default: every key of the table. */
  readonly key?: KeyOf<D>
  /** Start of the valid-time window `[validFrom, validTo)` the diff is clamped to. Default: unbounded. */
  readonly validFrom?: DateInput | null
  /** End of the window, exclusive. Default: unbounded. */
  readonly validTo?: DateInput | null
}

/** The statement to run and its parameters, or an `InvalidInputError` before anything is sent. */
export interface EncodedDiff {
  readonly keyed: boolean
  readonly parameters: readonly unknown[]
}

const OPTIONS = ['before', 'after', 'key', 'validFrom', 'validTo'] as const

/**
 * Checks the options of `diff` and lays out the parameters of `diffStatements`:
 * the key (if any), then before, after (`null`: current knowledge), valid
 * from and valid to (`null`: unbounded).
 *
 * @throws {InvalidInputError} for an unknown option, a missing or bad
 *   `before`, a bad `after`, an `after` not later than `before`, a bad
 *   key, or a bad, empty or reversed window.
 *
 * @example
 * encodeDiff(context, { before: '2024-04-01T00:00:00Z', validFrom: '2024-01-01', validTo: '2024-04-01' })
 * // { keyed: false, parameters: ['2024-04-01T00:00:00Z', null, '2024-01-01', '2024-04-01'] }
 */
export function encodeDiff(context: TableSqlContext, options: unknown, operation = 'diff'): EncodedDiff {
  const checked = readOptions(options, operation, OPTIONS, ['before'])
  if (checked['before'] === undefined || checked['before'] === null) {
    throw new InvalidInputError(`${operation}: { before } is required: the system time of the earlier state of knowledge, such as the day a period was closed`)
  }
  const before = toKnownAt(checked['before'], `${operation}: before`)
  const after = checked['after'] === undefined || checked['after'] === null ? null : toKnownAt(checked['after'], `${operation}: after`)
  if (after !== null && instantMicros(before) >= instantMicros(after)) {
    throw new InvalidInputError(
      `${operation}: after (${after}) must come after before (${before}); ${instantMicros(before) === instantMicros(after) ? 'the same instant has no differences' : 'swap them'}`,
    )
  }
  const window = encodeWindow(context, checked['validFrom'], checked['validTo'], operation)
  const rest = [before, after, ...window]
  if (checked['key'] === undefined) return Object.freeze({ keyed: false, parameters: rest })
  return Object.freeze({ keyed: true, parameters: [...encodeKey(context, checked['key']), ...rest] })
}
