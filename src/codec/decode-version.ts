import type { KeyOf, TableDefinition, ValuesOf } from '../schema/define-table.js'
import type { TableSqlContext } from '../statement/table-sql-context.js'

/** A range of valid time: `'YYYY-MM-DD'` days (or ISO instants), `to` exclusive, `null` for unbounded. */
export interface EffectiveRange {
  readonly from: string
  readonly to: string | null
}

/** A range of system time: lossless UTC ISO strings with microseconds, `to` `null` while current. */
export interface SystemRange {
  readonly from: string
  readonly to: string | null
}

/** Who recorded a version and who closed it, on tables with `audit: true`. */
export interface VersionAudit {
  /**
   * Who recorded the version: never null on a table created with `audit:
   * true`; null on a table that turned audit on later, for the versions
   * recorded before (docs/semantics.md §5a): nobody knows who recorded them.
   */
  readonly recordedBy: string | null
  readonly recordedReason: string | null
  readonly closedBy: string | null
  readonly closedReason: string | null
}

/** One row of a bitemporal table. */
export interface Version<D extends TableDefinition> {
  readonly key: KeyOf<D>
  readonly values: ValuesOf<D>
  readonly effective: EffectiveRange
  readonly system: SystemRange
  /** Present on tables with `audit: true`. */
  readonly audit?: VersionAudit
}

type Row = Readonly<Record<string, string | null>>

/**
 * The frozen key and values of a row whose statement selected the key
 * columns as `k0…` and the value columns as `v0…` (as text), decoded by the
 * table's codecs.
 */
export function decodeKeyAndValues<D extends TableDefinition>(context: TableSqlContext, row: Row): { key: KeyOf<D>; values: ValuesOf<D> } {
  const key: Record<string, unknown> = {}
  context.keys.forEach((codec, i) => {
    key[codec.column.name] = codec.decode(row[`k${String(i)}`] ?? null)
  })
  const values: Record<string, unknown> = {}
  context.values.forEach((codec, i) => {
    values[codec.column.name] = codec.decode(row[`v${String(i)}`] ?? null)
  })
  return { key: Object.freeze(key) as KeyOf<D>, values: Object.freeze(values) as ValuesOf<D> }
}

/** Builds a frozen {@link Version} from a row selected with `versionColumns`. */
export function decodeVersion<D extends TableDefinition>(context: TableSqlContext, row: Row): Version<D> {
  const version = {
    ...decodeKeyAndValues<D>(context, row),
    effective: Object.freeze({ from: row['effective_from'] ?? '', to: row['effective_to'] ?? null }),
    system: Object.freeze({ from: row['system_from'] ?? '', to: row['system_to'] ?? null }),
  }
  if (!context.audit) return Object.freeze(version)
  return Object.freeze({
    ...version,
    audit: Object.freeze({
      recordedBy: row['recorded_by'] ?? null,
      recordedReason: row['recorded_reason'] ?? null,
      closedBy: row['closed_by'] ?? null,
      closedReason: row['closed_reason'] ?? null,
    }),
  })
}
