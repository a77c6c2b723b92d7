import type { TableSqlContext } from '../../statement/table-sql-context.js'
import type { EffectiveRange } from '../../codec/decode-version.js'
import type { KeyOf, TableDefinition, ValuesOf } from '../../schema/define-table.js'

/** One change between the two states of knowledge of a diff row, on tables with `audit: true`. */
export interface DiffAudit {
  /** When the change was recorded: a lossless UTC timestamp with microseconds. */
  readonly systemTime: string
  /** `recorded_by` of a version asserted then, `closed_by` of one retracted then. */
  readonly actor: string | null
  /** `recorded_reason` of a version asserted then, `closed_reason` of one retracted then. */
  readonly reason: string | null
}

/**
 * One row of `repo.diff(…)`: over `effective`, the key's values as known at
 * `before` and as known at `after` differ. `null` means no version was valid
 * there in that state of knowledge (a retroactive insert has `before:
 * null`, a deletion `after: null`).
 */
export interface DiffRow<D extends TableDefinition> {
  readonly key: KeyOf<D>
  /** Where in valid time, clamped to the window; `to` exclusive, `null` unbounded. */
  readonly effective: EffectiveRange
  readonly before: ValuesOf<D> | null
  readonly after: ValuesOf<D> | null
  /**
   * On tables with `audit: true`: every change recorded after `before` and
   * up to `after` to a version overlapping `effective`, by system time, once
   * each (a correction retracts and asserts in one change).
   */
  readonly audit?: readonly DiffAudit[]
}

type Row = Readonly<Record<string, string | boolean | null>>

/** Builds a frozen {@link DiffRow} from a row of the `diff` statement (see `diffStatements`). */
export function decodeDiffRow<D extends TableDefinition>(context: TableSqlContext, row: Row): DiffRow<D> {
  const key: Record<string, unknown> = {}
  context.keys.forEach((codec, index) => {
    key[codec.column.name] = codec.decode(text(row[`k${String(index)}`]))
  })
  const values = (prefix: string): ValuesOf<D> => {
    const decoded: Record<string, unknown> = {}
    context.values.forEach((codec, index) => {
      decoded[codec.column.name] = codec.decode(text(row[`${prefix}${String(index)}`]))
    })
    return Object.freeze(decoded) as ValuesOf<D>
  }
  const diff = {
    key: Object.freeze(key) as KeyOf<D>,
    effective: Object.freeze({ from: text(row['effective_from']) ?? '', to: text(row['effective_to']) }),
    before: present(row['before_present']) ? values('b') : null,
    after: present(row['after_present']) ? values('a') : null,
  }
  if (!context.audit) return Object.freeze(diff)
  return Object.freeze({ ...diff, audit: decodeAudit(text(row['audit'])) })
}

function text(value: string | boolean | null | undefined): string | null {
  return value === undefined || value === null ? null : String(value)
}

// Drivers give a boolean column as true/false (node-postgres, postgres.js) or as 't'/'f' text.
function present(value: string | boolean | null | undefined): boolean {
  return value === true || value === 't' || value === 'true'
}

function decodeAudit(json: string | null): readonly DiffAudit[] {
  if (json === null) return Object.freeze([])
  const entries = JSON.parse(json) as { systemTime: string; actor: string | null; reason: string | null }[]
  // The statement orders the entries; a correction gives the same entry twice (the row it retracts, the row it asserts).
  const unique: DiffAudit[] = []
  for (const entry of entries) {
    const last = unique.at(-1)
    if (last?.systemTime === entry.systemTime && last.actor === entry.actor && last.reason === entry.reason) continue
    unique.push(Object.freeze({ systemTime: entry.systemTime, actor: entry.actor, reason: entry.reason }))
  }
  return Object.freeze(unique)
}
