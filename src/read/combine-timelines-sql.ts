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
  return combinedSql(
    [
      { context: left, alias: 'a', prefix: 'l' },
      { context: right, alias: 'b', prefix: 'r' },
    ],
    known,
  )
}

/**
 * The statement of `combineTimelines({ sides })`: as {@link combineTimelinesSql}
 * for any number of keys, each side `s0`, `s1`, … joined to every side
 * before it on overlapping effective ranges, its value columns read as
 * `s0_0`, `s0_1`, … Parameters: each side's key in order, the window's
 * `from` and `to`, then `knownAt` when `known`.
 *
 * Income × tax rate × exemption:
 *
 * ```sql
 * select s0."monthly"::text as s0_0, s1."rate"::text as s1_0, s2."share"::text as s2_0,
 *        to_char(lower(s0."effective" * s1."effective" * s2."effective" * daterange($5::text::date, $6::text::date, '[)')), 'YYYY-MM-DD') as effective_from, …
 * from "incomes" as s0
 * join "tax_rates" as s1 on s0."effective" && s1."effective"
 * join "exemptions" as s2 on s0."effective" && s2."effective" and s1."effective" && s2."effective"
 * where <each side's key, knowledge and window, as in the two-sided form>
 * order by lower(s0."effective" * s1."effective" * s2."effective" * daterange(…))
 * ```
 *
 * Intervals on a line that overlap pairwise share a point, so the pairwise
 * conditions are enough for every period to be non-empty.
 */
export function combineSidesSql(sides: readonly TableSqlContext[], known: boolean): string {
  return combinedSql(
    sides.map((context, index) => ({ context, alias: `s${String(index)}`, prefix: `s${String(index)}_` })),
    known,
  )
}

interface Side {
  readonly context: TableSqlContext
  /** The table's alias in the statement. */
  readonly alias: string
  /** The prefix of its value columns in the output: `l0`, or `s2_0`. */
  readonly prefix: string
}

function combinedSql(sides: readonly Side[], known: boolean): string {
  const [first] = sides
  if (first === undefined) throw new Error('bitemporal: combinedSql needs at least one side')
  const from = sides.reduce((count, side) => count + side.context.keys.length, 0) + 1
  const window = `${first.context.rangeType}(${textParameter(from, first.context.pointType)}, ${textParameter(from + 1, first.context.pointType)}, '[)')`
  const knownAt = `(${textParameter(from + 2, 'timestamptz')} at time zone 'UTC')`
  let firstKey = 1
  const conditions = sides.map(({ context, alias }) => {
    const condition = [
      ...context.keys.map((k, i) => `${alias}.${quoteIdentifier(k.column.name)} = ${textParameter(firstKey + i, k.parameterType)}`),
      known ? `${alias}.${context.system} @> ${knownAt}` : `upper_inf(${alias}.${context.system})`,
      // Redundant with the overlap, but a bound the btree of current rows can use.
      `lower(${alias}.${context.effective}) < coalesce(${textParameter(from + 1, context.pointType)}, 'infinity')`,
      `${alias}.${context.effective} && ${window}`,
    ].join(' and ')
    firstKey += context.keys.length
    return condition
  })
  const effective = (side: Side): string => `${side.alias}.${side.context.effective}`
  const period = `${sides.map(effective).join(' * ')} * ${window}`
  const columns = [
    ...sides.flatMap((side) => side.context.values.map((v, i) => `${v.output(side.alias)} as ${side.prefix}${String(i)}`)),
    `${first.context.formatPoint(`lower(${period})`)} as effective_from`,
    `${first.context.formatPoint(`upper(${period})`)} as effective_to`,
  ]
  const joins = sides
    .slice(1)
    .map((side, index) => `join ${side.context.table} as ${side.alias} on ${sides.slice(0, index + 1).map((before) => `${effective(before)} && ${effective(side)}`).join(' and ')}`)
  const tables = sides.map((side) => side.context.table)
  // "a and b", "a, b and c": the two-sided header as it always read.
  const named = tables.length === 1 ? tables.join('') : `${tables.slice(0, -1).join(', ')} and ${tables.at(-1) ?? ''}`
  return `-- bitemporal combineTimelines of ${named}
select ${columns.join(', ')}
from ${first.context.table} as ${first.alias}
${joins.join('\n')}
where ${conditions.join('\n  and ')}
order by lower(${period})`
}
