import { decodeKeyAndValues, type EffectiveRange } from '../codec/decode-version.js'
import type { TableSqlContext } from '../statement/table-sql-context.js'
import type { KeyOf, TableDefinition, ValuesOf } from '../schema/define-table.js'

/**
 * What a change did to the table's knowledge, in the words of docs/semantics.md §7:
 * - `asserted`: a version was inserted at `systemTime` (the database began
 *   to believe it);
 * - `retracted`: a version was closed at `systemTime` (the database stopped
 *   believing it; the row itself stays in history).
 *
 * A correction is both at one system time: the old version retracted, its
 * replacement asserted. A write that cuts a version retracts it and asserts
 * the leftovers.
 */
export type ChangeKind = 'asserted' | 'retracted'

/** Who made a change and why, on tables with `audit: true`. */
export interface ChangeAudit {
  /** `recorded_by` of an asserted version, `closed_by` of a retracted one. */
  readonly actor: string | null
  /** `recorded_reason` of an asserted version, `closed_reason` of a retracted one. */
  readonly reason: string | null
}

/** One entry of `repo.changes(…)`: one version asserted or retracted at one system time. */
export interface Change<D extends TableDefinition> {
  readonly kind: ChangeKind
  /** When it happened: a lossless UTC timestamp with microseconds, as writes return it. */
  readonly systemTime: string
  readonly key: KeyOf<D>
  /** The values of the version asserted or retracted. */
  readonly values: ValuesOf<D>
  /** The effective range of the version asserted or retracted. */
  readonly effective: EffectiveRange
  /** Present on tables with `audit: true`. */
  readonly audit?: ChangeAudit
}

type Row = Readonly<Record<string, string | null>>

/** Builds a frozen {@link Change} from a row of the `changes` statement (see `changesStatements`). */
export function decodeChange<D extends TableDefinition>(context: TableSqlContext, row: Row): Change<D> {
  const change = {
    kind: row['kind'] === 'retracted' ? ('retracted' as const) : ('asserted' as const),
    systemTime: row['system_time'] ?? '',
    ...decodeKeyAndValues<D>(context, row),
    effective: Object.freeze({ from: row['effective_from'] ?? '', to: row['effective_to'] ?? null }),
  }
  if (!context.audit) return Object.freeze(change)
  return Object.freeze({ ...change, audit: Object.freeze({ actor: row['actor'] ?? null, reason: row['reason'] ?? null }) })
}
