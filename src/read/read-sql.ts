import { AUDIT, type TableSqlContext } from '../repository/table-sql-context.js'
import { textParameter } from '../values/text-parameter.js'

/**
 * The reads of docs/semantics.md §4, one statement each. Parameters: `$1 … $k` the
 * key, then what the read takes (`validAt`, `knownAt`). Every column comes
 * back as text formatted in SQL (see `ColumnCodec`), so the result does not
 * depend on DateStyle, TimeZone or the caller's `pg` type parsers.
 *
 * `asOf` in current knowledge, for the tax-rate table:
 *
 * ```sql
 * select t."state_id"::text as k0, t."tax_type"::text as k1, t."rate"::text as v0,
 *        to_char(lower(t."effective"), 'YYYY-MM-DD') as effective_from, …
 * from "tax_rates" as t
 * where t."state_id" = $1::text::integer and t."tax_type" = $2::text
 *   and upper_inf(t."system")
 *   and lower(t."effective") <= coalesce($3::text::date, (now() at time zone 'UTC')::date)
 *   and (upper_inf(t."effective") or upper(t."effective") > coalesce($3::text::date, (now() at time zone 'UTC')::date))
 * order by lower(t."effective") desc
 * limit 1
 * ```
 *
 * The current-knowledge variants say `upper_inf(system)` rather than
 * comparing with a timestamp, which is what lets them use the table's
 * partial index of current rows; the others use the GiST index behind the
 * exclusion constraint.
 */
export interface ReadStatements {
  readonly asOfCurrent: string
  readonly asOfKnown: string
  readonly timelineCurrent: string
  readonly timelineKnown: string
  readonly history: string
  /** The system time of the last change to the key's current timeline. */
  readonly lastChange: string
}

export function readStatements(context: TableSqlContext): ReadStatements {
  const { table, effective: E, system: S, pointType } = context
  const next = context.keys.length + 1
  const base = `select ${versionColumns(context, 't')}\nfrom ${table} as t\nwhere ${context.keyMatches('t')}`
  // A current version's system range is open: no need to format its end.
  const current = `select ${versionColumns(context, 't', true)}\nfrom ${table} as t\nwhere ${context.keyMatches('t')}`
  const today = pointType === 'date' ? `(now() at time zone 'UTC')::date` : 'now()'
  const at = `coalesce(${textParameter(next, pointType)}, ${today})`
  const validAt = `t.${E} @> ${at}`
  const knownAt = (n: number): string => `t.${S} @> (${textParameter(n, 'timestamptz')} at time zone 'UTC')`
  return Object.freeze({
    // Written for the partial index of current rows by (key, lower(effective)):
    // one descent to the last version that starts on or before the date.
    asOfCurrent: `${current}\n  and upper_inf(t.${S})\n  and lower(t.${E}) <= ${at}\n  and (upper_inf(t.${E}) or upper(t.${E}) > ${at})\norder by lower(t.${E}) desc\nlimit 1`,
    asOfKnown: `${base}\n  and ${validAt}\n  and ${knownAt(next + 1)}`,
    timelineCurrent: `${current}\n  and upper_inf(t.${S})\norder by lower(t.${E})`,
    timelineKnown: `${base}\n  and ${knownAt(next)}\norder by lower(t.${E})`,
    history: `${base}\norder by lower(t.${S}), lower(t.${E})`,
    lastChange: `select bitemporal.format_system_time(max(greatest(lower(t.${S}), upper(t.${S})))) as system_time
from ${table} as t\nwhere ${context.keyMatches('t')}`,
  })
}

/** The select list of a version, every column as text: key, values, ranges, audit. */
export function versionColumns(context: TableSqlContext, alias: string, current = false): string {
  const { effective: E, system: S } = context
  const systemPoint = (bound: string): string => `bitemporal.format_system_time(${bound}(${alias}.${S}))`
  return [
    ...context.keys.map((k, i) => `${k.output(alias)} as k${String(i)}`),
    ...context.values.map((v, i) => `${v.output(alias)} as v${String(i)}`),
    `${context.formatPoint(`lower(${alias}.${E})`)} as effective_from`,
    `${context.formatPoint(`upper(${alias}.${E})`)} as effective_to`,
    `${systemPoint('lower')} as system_from`,
    current ? 'null::text as system_to' : `${systemPoint('upper')} as system_to`,
    ...(context.audit
      ? [
          `${alias}.${AUDIT.recordedBy} as recorded_by`,
          `${alias}.${AUDIT.recordedReason} as recorded_reason`,
          `${alias}.${AUDIT.closedBy} as closed_by`,
          `${alias}.${AUDIT.closedReason} as closed_reason`,
        ]
      : []),
  ].join(', ')
}
