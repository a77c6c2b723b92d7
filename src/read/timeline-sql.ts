import { AUDIT, type TableSqlContext } from '../statement/table-sql-context.js'
import { quoteIdentifier } from '../schema/identifier.js'
import { windowSql } from './read-input.js'
import { textParameter } from '../values/text-parameter.js'

/**
 * The statements of a sequenced `timeline`: restricted to a valid-time
 * window, and optionally coalesced. Parameters: `$1 … $k` the key, then the
 * window's `from` and `to` (null: unbounded), then `knownAt` for the
 * `…Known` variants. Output columns are those of `versionColumns`, so
 * `decodeVersion` reads them.
 */
export interface TimelineStatements {
  readonly windowCurrent: string
  readonly windowKnown: string
  readonly coalescedCurrent: string
  readonly coalescedKnown: string
}

/**
 * Builds the sequenced timeline statements of one table.
 *
 * **Window** (current knowledge, tax-rate table): each version overlapping
 * the window, with its effective range clamped to it.
 *
 * ```sql
 * select t."state_id"::text as k0, t."tax_type"::text as k1, t."rate"::text as v0,
 *        to_char(lower(t."effective" * daterange($3::text::date, $4::text::date, '[)')), 'YYYY-MM-DD') as effective_from, …
 * from "tax_rates" as t
 * where t."state_id" = $1::text::integer and t."tax_type" = $2::text
 *   and upper_inf(t."system")
 *   and lower(t."effective") < coalesce($4::text::date, 'infinity')
 *   and t."effective" && daterange($3::text::date, $4::text::date, '[)')
 * order by lower(t."effective")
 * ```
 *
 * **Coalesced**: the same versions, then gaps and islands: a version starts
 * a new island unless it begins where the previous one ends and has the
 * same values (compared as stored, the comparison writes use); each island
 * becomes one version whose range is `range_merge(range_agg(…))`.
 *
 * ```sql
 * with known as (select (t.*)::"tax_rates" as v, t."effective" * daterange($3::text::date, $4::text::date, '[)') as clamped from "tax_rates" as t where …),
 * neighbours as (
 *   select k.v, k.clamped, lag(k.v) over w as previous, lag(upper(k.clamped)) over w as previous_end
 *   from known as k window w as (order by lower(k.clamped))),
 * islands as (
 *   select n.v, n.clamped, count(*) filter (where n.previous_end is distinct from lower(n.clamped)
 *            or ((n.v)."rate"::text is distinct from ((n.previous)."rate")::text)) over (order by lower(n.clamped)) as island
 *   from neighbours as n),
 * merged as (
 *   select (array_agg(i.v order by lower(i.clamped)))[1] as v, range_merge(range_agg(i.clamped)) as clamped,
 *          max(lower((i.v)."system")) as system_from, min(upper((i.v)."system")) as system_to
 *   from islands as i group by i.island)
 * select (m.v)."state_id"::text as k0, …, to_char(lower(m.clamped), 'YYYY-MM-DD') as effective_from, …
 * from merged as m order by lower(m.clamped)
 * ```
 *
 * A merged version's system range is the intersection of its pieces'
 * (from the latest piece's start: when the whole period came to be
 * believed). It has no audit: its pieces may have been recorded by
 * different actors.
 *
 * The `…Current` variants say `upper_inf(system)`, which lets them use the
 * table's partial index of current rows by `(key, lower(effective))`, with
 * the window's end bounding the scan; the `…Known` ones use the GiST index
 * behind the exclusion constraint.
 */
export function timelineStatements(context: TableSqlContext): TimelineStatements {
  return Object.freeze({
    windowCurrent: windowStatement(context, false),
    windowKnown: windowStatement(context, true),
    coalescedCurrent: coalescedStatement(context, false),
    coalescedKnown: coalescedStatement(context, true),
  })
}

interface Parts {
  readonly window: string
  /** The versions of the key known at the instant and overlapping the window. */
  readonly where: string
}

function parts(context: TableSqlContext, known: boolean): Parts {
  const { effective: E, system: S, pointType } = context
  const from = context.keys.length + 1
  const window = windowSql(context, from, from + 1)
  const knownAt = known ? `t.${S} @> (${textParameter(from + 2, 'timestamptz')} at time zone 'UTC')` : `upper_inf(t.${S})`
  const where = [
    context.keyMatches('t'),
    knownAt,
    // Redundant with the overlap below, but a bound the btree of current rows can use.
    `lower(t.${E}) < coalesce(${textParameter(from + 1, pointType)}, 'infinity')`,
    `t.${E} && ${window}`,
  ].join('\n  and ')
  return { window, where }
}

function windowStatement(context: TableSqlContext, known: boolean): string {
  const { table, effective: E, system: S } = context
  const { window, where } = parts(context, known)
  const systemPoint = (bound: string): string => `bitemporal.format_system_time(${bound}(t.${S}))`
  const columns = [
    ...context.keys.map((k, i) => `${k.output('t')} as k${String(i)}`),
    ...context.values.map((v, i) => `${v.output('t')} as v${String(i)}`),
    `${context.formatPoint(`lower(t.${E} * ${window})`)} as effective_from`,
    `${context.formatPoint(`upper(t.${E} * ${window})`)} as effective_to`,
    `${systemPoint('lower')} as system_from`,
    `${systemPoint('upper')} as system_to`,
    ...(context.audit
      ? [
          `t.${AUDIT.recordedBy} as recorded_by`,
          `t.${AUDIT.recordedReason} as recorded_reason`,
          `t.${AUDIT.closedBy} as closed_by`,
          `t.${AUDIT.closedReason} as closed_reason`,
        ]
      : []),
  ]
  return `select ${columns.join(', ')}\nfrom ${table} as t\nwhere ${where}\norder by lower(t.${E})`
}

function coalescedStatement(context: TableSqlContext, known: boolean): string {
  const { table, effective: E, system: S } = context
  const { window, where } = parts(context, known)
  const field = (row: string, v: (typeof context.values)[number]): string => `${row}.${quoteIdentifier(v.column.name)}`
  // A table without value columns has one value, "present": adjacent versions always merge.
  const differentValues =
    context.values.length === 0 ? 'false' : `(${context.values.map((v) => v.differs(field('(n.v)', v), field('(n.previous)', v))).join(' or ')})`
  const row = '(m.v)'
  const columns = [
    ...context.keys.map((k, i) => `${k.output(row)} as k${String(i)}`),
    ...context.values.map((v, i) => `${v.output(row)} as v${String(i)}`),
    `${context.formatPoint('lower(m.clamped)')} as effective_from`,
    `${context.formatPoint('upper(m.clamped)')} as effective_to`,
    'bitemporal.format_system_time(m.system_from) as system_from',
    'bitemporal.format_system_time(m.system_to) as system_to',
  ]
  return `with known as (
  select (t.*)::${table} as v, t.${E} * ${window} as clamped
  from ${table} as t
  where ${where.replaceAll('\n', '\n  ')}
),
neighbours as (
  select k.v, k.clamped, lag(k.v) over w as previous, lag(upper(k.clamped)) over w as previous_end
  from known as k
  window w as (order by lower(k.clamped))
),
islands as (
  select n.v, n.clamped,
         count(*) filter (where n.previous_end is distinct from lower(n.clamped) or ${differentValues})
           over (order by lower(n.clamped)) as island
  from neighbours as n
),
merged as (
  select (array_agg(i.v order by lower(i.clamped)))[1] as v,
         range_merge(range_agg(i.clamped)) as clamped,
         max(lower((i.v).${S})) as system_from,
         min(upper((i.v).${S})) as system_to
  from islands as i
  group by i.island
)
select ${columns.join(', ')}
from merged as m
order by lower(m.clamped)`
}
