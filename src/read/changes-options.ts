import type { TableSqlContext } from '../statement/table-sql-context.js'
import { encodeKey } from '../codec/encode-key.js'
import type { KeyOf, TableDefinition } from '../schema/define-table.js'
import type { InstantInput } from '../time/date-input.js'
import { encodeSystemInterval } from './read-input.js'
import { readOptions } from '../options/read-options.js'

/** Options of `repo.changes`. */
export interface ChangesOptions<D extends TableDefinition> {
  /**
   * Start of the system-time interval, inclusive: an instant with `Z` or an
   * offset (microseconds kept), or a `Date`. Required. A write's returned
   * `systemTime` as `since` includes that write.
   */
  readonly since: InstantInput
  /**
   * End of the interval, exclusive. Default (`undefined` or `null`):
   * unbounded, everything since `since`. A write's `systemTime` as `until`
   * leaves that write out.
   */
  readonly until?: InstantInput | null
  /** Only this entity's changes. Default: every key of the table. */
  readonly key?: KeyOf<D>
}

/** The statement to run and its parameters, or an `InvalidInputError` before anything is sent. */
export interface EncodedChanges {
  readonly keyed: boolean
  readonly parameters: readonly unknown[]
}

/** Checks the options of `changes` and lays out the parameters of {@link changesStatements}. */
export function encodeChanges(context: TableSqlContext, options: unknown): EncodedChanges {
  const checked = readOptions(options, 'changes', ['since', 'until', 'key'], ['since'])
  const interval = encodeSystemInterval(checked['since'], checked['until'], 'changes')
  if (checked['key'] === undefined) return Object.freeze({ keyed: false, parameters: interval })
  return Object.freeze({ keyed: true, parameters: [...encodeKey(context, checked['key']), ...interval] })
}
