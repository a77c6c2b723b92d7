import { AUDIT_COLUMNS, type TableDefinition } from '../schema/define-table.js'
import { quoteIdentifier } from '../schema/identifier.js'
import { tableSqlNames } from '../schema/table-sql-names.js'
import { type ColumnCodec, columnCodec } from '../schema/column-codec.js'
import { textParameter } from '../values/text-parameter.js'

/**
 * Everything the read and write statements of one table need to know about
 * it, computed once per table: quoted names, range types, codecs.
 */
export interface TableSqlContext {
  readonly definition: TableDefinition
  /** `"billing"."tax_rates"` */
  readonly table: string
  readonly effective: string
  readonly system: string
  /** `daterange` or `tstzrange`. */
  readonly rangeType: string
  /** `datemultirange` or `tstzmultirange`. */
  readonly multirangeType: string
  /** `date` or `timestamptz`. */
  readonly pointType: string
  readonly keys: readonly ColumnCodec[]
  readonly values: readonly ColumnCodec[]
  readonly audit: boolean
  /** `t."state_id" = $1::text::integer and t."tax_type" = $2::text` for the alias given. */
  keyMatches(alias: string): string
  /** SQL that formats a point of valid time as the library's text. */
  formatPoint(expression: string): string
}

const UTC_INSTANT = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`

export function tableSqlContext(definition: TableDefinition): TableSqlContext {
  const dated = definition.validTime === 'date'
  const keys = definition.keyColumns.map(columnCodec)
  return Object.freeze({
    definition,
    table: tableSqlNames(definition).table,
    effective: quoteIdentifier(definition.effectiveColumn),
    system: quoteIdentifier(definition.systemColumn),
    rangeType: dated ? 'daterange' : 'tstzrange',
    multirangeType: dated ? 'datemultirange' : 'tstzmultirange',
    pointType: dated ? 'date' : 'timestamptz',
    keys: Object.freeze(keys),
    values: Object.freeze(definition.valueColumns.map(columnCodec)),
    audit: definition.audit,
    keyMatches: (alias: string) =>
      keys.map((k, i) => `${alias}.${quoteIdentifier(k.column.name)} = ${textParameter(i + 1, k.parameterType)}`).join(' and '),
    formatPoint: (expression: string) =>
      dated ? `to_char(${expression}, 'YYYY-MM-DD')` : `to_char(${expression} at time zone 'UTC', ${UTC_INSTANT})`,
  })
}

/** The quoted audit columns, for tables with `audit: true`. */
export const AUDIT = Object.freeze({
  recordedBy: quoteIdentifier(AUDIT_COLUMNS.recordedBy),
  recordedReason: quoteIdentifier(AUDIT_COLUMNS.recordedReason),
  closedBy: quoteIdentifier(AUDIT_COLUMNS.closedBy),
  closedReason: quoteIdentifier(AUDIT_COLUMNS.closedReason),
})
