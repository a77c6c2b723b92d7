import type { TableSqlContext } from '../statement/table-sql-context.js'
import { quoteIdentifier } from '../schema/identifier.js'
import { textParameter } from '../values/text-parameter.js'

/**
 * The statement of `combineTimelines`: the timelines of two keys (of two
 * tables, or of one) as known at one instant, cut at every change point of
 * either, over the intersections of their effective ranges, within a window.
 * Parameters: the left key, the right key, the window's `from` and `to`
 * (null: unbounded), then `knownAt` when `known`.
 *
 * Incomes × tax rates, current knowledge:
 *
 * ```sql
 * select a."monthly"::text as l0, b."rate"::text as r0,
 *        to_char(lower(a."effective" * b."effective" * daterange($4::text::date, $5::text::date, '[)')), 'YYYY-MM-DD') as effective_from,
 *        to_char(upper(a."effective" * b."effective" * daterange($4::text::date, $5::text::date, '[)')), 'YYYY-MM-DD') as effective_to
 * from "incomes" as a
 * join "tax_rates" as b on a."effective" && b."effective"
 * where a."person_id" = $1::text::integer and upper_inf(a."system")
 *   and lower(a."effective") < coalesce($5::text::date, 'infinity') and a."effective" && daterange($4::text::date, $5::text::date, '[)')
 *   and b."state_id" = $2::text::integer and b."tax_type" = $3::text and upper_inf(b."system")
 *   and lower(b."effective") < coalesce($5::text::date, 'infinity') and b."effective" && daterange($4::text::date, $5::text::date, '[)')
 * order by lower(a."effective" * b."effective" * daterange($4::text::date, $5::text::date, '[)'))
 * ```
 *
 * Three pairwise overlaps are enough for the triple intersection to be
 * non-empty (intervals on a line that meet pairwise share a point), so no
 * period comes back empty. Each side reaches its key's versions through its
 * own index: the partial index of current rows for current knowledge, the
 * GiST index behind the exclusion constraint for a past `knownAt`.
 */
export function combineTimelinesSql(left: TableSqlContext, right: TableSqlContext, known: boolean): string {
  const { effective: EL } = left
  const { effective: ER } = right
  const from = left.keys.length + right.keys.length + 1
  const window = `${left.rangeType}(${textParameter(from, left.pointType)}, ${textParameter(from + 1, left.pointType)}, '[)')`
  const knownAt = `(${textParameter(from + 2, 'timestamptz')} at time zone 'UTC')`
  const side = (context: TableSqlContext, alias: string, firstKey: number): string =>
    [
      ...context.keys.map((k, i) => `${alias}.${quoteIdentifier(k.column.name)} = ${textParameter(firstKey + i, k.parameterType)}`),
      known ? `${alias}.${context.system} @> ${knownAt}` : `upper_inf(${alias}.${context.system})`,
      // Redundant with the overlap, but a bound the btree of current rows can use.
      `lower(${alias}.${context.effective}) < coalesce(${textParameter(from + 1, context.pointType)}, 'infinity')`,
      `${alias}.${context.effective} && ${window}`,
    ].join(' and ')
  const period = `a.${EL} * b.${ER} * ${window}`
  const columns = [
    ...left.values.map((v, i) => `${v.output('a')} as l${String(i)}`),
    ...right.values.map((v, i) => `${v.output('b')} as r${String(i)}`),
    `${left.formatPoint(`lower(${period})`)} as effective_from`,
    `${left.formatPoint(`upper(${period})`)} as effective_to`,
  ]
  return `-- bitemporal combineTimelines of ${left.table} and ${right.table}
select ${columns.join(', ')}
from ${left.table} as a
join ${right.table} as b on a.${EL} && b.${ER}
where ${side(left, 'a', 1)}
  and ${side(right, 'b', left.keys.length + 1)}
order by lower(${period})`
}
