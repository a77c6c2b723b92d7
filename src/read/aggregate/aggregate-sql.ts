import { type RawBuilder, type SqlBool, sql } from 'kysely'
import type { AnyKysely } from '../../any-kysely.js'
import type { TableSqlContext } from '../../statement/table-sql-context.js'
import { quoteIdentifier } from '../../schema/identifier.js'
import type { ColumnCodec } from '../../schema/column-codec.js'
import type { EncodedAggregate } from './aggregate-options.js'

/**
 * The statement of `repo.aggregate`: a sweep over the version boundaries.
 * The versions kept (by the caller's `where`, as known at the instant) are
 * counted and summed per effective range; each range, clamped to the
 * window, is a +count/+sum at its start and a -count/-sum at its end; the
 * boundaries are summed per point of valid time, running sums over the
 * points give each step, and gaps and islands merge adjacent steps with
 * equal measures. One scan of the table, whatever the number of days; the
 * aggregates after the first work on a few rows per distinct range and
 * point, not per version.
 *
 * Subscriptions active and their MRR, per plan, as known at an instant
 * (the caller's `where` is compiled by Kysely, so its values are
 * parameters; the window's ends are literals, decision 159):
 *
 * ```sql
 * with bt$versions as (
 *   (select t."plan" as "plan", t."effective" as "bt$effective", t."mrr"::numeric as "bt$amount"
 *   from "subscriptions" as "t"
 *   where t."system" @> ($1::text::timestamptz at time zone 'UTC')
 *     and t."effective" && daterange('2024-01-01'::date, '2025-01-01'::date, '[)')
 *     and "status" = $2)
 * ),
 * bt$ranges as (
 *   select v."plan", v.bt$effective, count(*) as bt$versions, sum(v.bt$amount) as bt$amount
 *   from bt$versions as v group by v."plan", v.bt$effective
 * ),
 * bt$periods as (
 *   select r."plan", lower(r.bt$effective * daterange(…)) as bt$starts, upper(r.bt$effective * daterange(…)) as bt$ends, r.bt$versions, r.bt$amount
 *   from bt$ranges as r
 * ),
 * bt$points as (
 *   select v."plan", e.bt$at, sum(e.bt$change) as bt$change, sum(e.bt$amount) as bt$amount
 *   from bt$periods as v
 *   cross join lateral (values (v.bt$starts, v.bt$versions, v.bt$amount), (v.bt$ends, -v.bt$versions, -v.bt$amount),
 *                              ('2024-01-01'::date, 0, 0)) as e(bt$at, bt$change, bt$amount)
 *   group by v."plan", e.bt$at
 * ),
 * bt$steps as (
 *   select p."plan", p.bt$at as bt$starts, coalesce(lead(p.bt$at) over w, '2025-01-01'::date) as bt$ends,
 *          sum(p.bt$change) over w as bt$count, coalesce(sum(p.bt$amount) over w, 0) as bt$sum
 *   from bt$points as p window w as (partition by p."plan" order by p.bt$at)
 * ),
 * bt$neighbours as (
 *   select s.*, lag(s.bt$count) over w as bt$previous_count, lag(s.bt$sum) over w as bt$previous_sum
 *   from bt$steps as s where s.bt$starts < '2025-01-01'::date window w as (partition by s."plan" order by s.bt$starts)
 * ),
 * bt$islands as (
 *   select n.*, count(*) filter (where n.bt$previous_count is distinct from n.bt$count or n.bt$previous_sum is distinct from n.bt$sum)
 *            over (partition by n."plan" order by n.bt$starts) as bt$island
 *   from bt$neighbours as n
 * )
 * select i."plan"::text as group_value, to_char(min(i.bt$starts), 'YYYY-MM-DD') as effective_from,
 *        to_char(max(i.bt$ends), 'YYYY-MM-DD') as effective_to, i.bt$count::text as count, round(i.bt$sum, 2)::text as sum
 * from bt$islands as i
 * group by i."plan", i.bt$island, i.bt$count, i.bt$sum
 * order by i."plan", min(i.bt$starts)
 * ```
 *
 * Without `groupBy` the window's start comes from a row of its own
 * (`union all select '…'::date, 0, 0`), so an empty window is one step of
 * 0; with it, every range brings its group's start (the third `values`
 * row), so each group's steps cover the whole window. Names the statement
 * makes up start with `bt$`, which no column name can (identifiers are
 * `[A-Za-z_][A-Za-z0-9_]*`), so a column named `count` or `at` is read as
 * itself. The sum is `numeric` throughout (exact: no float drift from
 * adding and subtracting), formatted at the column's declared scale
 * (`round(…, 2)` for `numeric(10,2)`, so zero is `'0.00'`), or with
 * `trim_scale` for a column without one.
 *
 * For current knowledge the version condition is `upper_inf(t."system")`,
 * the predicate of the partial index of current rows.
 */
export function aggregateSql(db: AnyKysely, context: TableSqlContext, options: EncodedAggregate): RawBuilder<Record<string, string | null>> {
  const { effective, system, rangeType, pointType } = context
  // The window's ends are written as literals, not parameters: validated days or instants with their offset (no quote can
  // be in them, and sql.lit escapes one anyway), they are then constants the planner estimates with and folds once; a
  // text parameter cast to a date is a stable call, estimated blindly and evaluated again for every row of the scan.
  const point = (value: string): RawBuilder<unknown> => sql`${sql.lit(value)}::${sql.raw(pointType)}`
  const from = (): RawBuilder<unknown> => point(options.validFrom)
  const to = (): RawBuilder<unknown> => point(options.validTo)
  const window = (): RawBuilder<unknown> => sql`${sql.raw(rangeType)}(${from()}, ${to()}, '[)')`
  const group = options.groupBy === undefined ? undefined : quoteIdentifier(options.groupBy.column.name)
  const groupOf = (alias: string): string[] => (group === undefined ? [] : [`${alias}.${group}`])
  // A column of the versions table, aliased `t` in the statement.
  const versionColumn = (column: string): RawBuilder<unknown> => sql.raw(`t.${column}`)

  let versions = db
    .selectFrom(`${context.definition.name} as t`)
    .where(options.knownAt === null ? sql<SqlBool>`upper_inf(${versionColumn(system)})` : sql<SqlBool>`${versionColumn(system)} @> (${options.knownAt}::text::timestamptz at time zone 'UTC')`)
    // The overlap alone: with a bound on lower(effective) the planner estimated a tenth of the rows and chose a serial
    // bitmap scan of the partial index; a window of a year keeps most versions, which a parallel scan reads faster.
    .where(sql<SqlBool>`${versionColumn(effective)} && ${window()}`)
    .select([
      ...(group === undefined ? [] : [sql.raw(`t.${group}`).as(options.groupBy?.column.name ?? '')]),
      versionColumn(effective).as('bt$effective'),
      (options.sum === undefined ? sql`null::numeric` : sql`${versionColumn(quoteIdentifier(options.sum.column.name))}::numeric`).as('bt$amount'),
    ])
  if (options.where !== undefined) versions = versions.where(options.where)

  const groupColumns = (alias: string): RawBuilder<unknown> => sql.raw(groupOf(alias).map((column) => `${column}, `).join(''))
  const partition = (alias: string): RawBuilder<unknown> => sql.raw(group === undefined ? '' : `partition by ${alias}.${group} `)
  // With groups, each version brings its group's window start; without, one row of its own does.
  const startRow = group === undefined ? sql`` : sql`, (${from()}, 0, 0)`
  const lonelyStart = group === undefined ? sql`\n  union all\n  select ${from()}, 0, 0` : sql``
  const differs = [
    ...(options.count ? ['n.bt$previous_count is distinct from n.bt$count'] : []),
    ...(options.sum === undefined ? [] : ['n.bt$previous_sum is distinct from n.bt$sum']),
  ].join(' or ')
  const measures = [...(options.count ? ['i.bt$count'] : []), ...(options.sum === undefined ? [] : ['i.bt$sum'])]
  const outputs = [
    ...(options.groupBy === undefined ? [] : [`${options.groupBy.output('i')} as group_value`]),
    `${context.formatPoint('min(i.bt$starts)')} as effective_from`,
    `${context.formatPoint('max(i.bt$ends)')} as effective_to`,
    ...(options.count ? ['i.bt$count::text as count'] : []),
    ...(options.sum === undefined ? [] : [`${formatSum(options.sum, 'i.bt$sum')} as sum`]),
  ]
  return sql<Record<string, string | null>>`-- bitemporal aggregate on ${sql.raw(context.table)}
with bt$versions as (
  ${versions}
),
bt$ranges as (
  select ${groupColumns('v')}v.bt$effective, count(*) as bt$versions, sum(v.bt$amount) as bt$amount
  from bt$versions as v
  group by ${groupColumns('v')}v.bt$effective
),
bt$periods as (
  select ${groupColumns('r')}lower(r.bt$effective * ${window()}) as bt$starts, upper(r.bt$effective * ${window()}) as bt$ends, r.bt$versions, r.bt$amount
  from bt$ranges as r
),
bt$points as (
  select ${groupColumns('v')}e.bt$at, sum(e.bt$change) as bt$change, sum(e.bt$amount) as bt$amount
  from bt$periods as v
  cross join lateral (values (v.bt$starts, v.bt$versions, v.bt$amount), (v.bt$ends, -v.bt$versions, -v.bt$amount)${startRow}) as e(bt$at, bt$change, bt$amount)
  group by ${groupColumns('v')}e.bt$at${lonelyStart}
),
bt$steps as (
  select ${groupColumns('p')}p.bt$at as bt$starts, coalesce(lead(p.bt$at) over w, ${to()}) as bt$ends,
         sum(p.bt$change) over w as bt$count, coalesce(sum(p.bt$amount) over w, 0) as bt$sum
  from bt$points as p
  window w as (${partition('p')}order by p.bt$at)
),
bt$neighbours as (
  select s.*, lag(s.bt$count) over w as bt$previous_count, lag(s.bt$sum) over w as bt$previous_sum
  from bt$steps as s
  where s.bt$starts < ${to()}
  window w as (${partition('s')}order by s.bt$starts)
),
bt$islands as (
  select n.*, count(*) filter (where ${sql.raw(differs)}) over (${partition('n')}order by n.bt$starts) as bt$island
  from bt$neighbours as n
)
select ${sql.raw(outputs.join(', '))}
from bt$islands as i
group by ${sql.raw([...groupOf('i'), 'i.bt$island', ...measures].join(', '))}
order by ${sql.raw([...groupOf('i'), 'min(i.bt$starts)'].join(', '))}`
}

/**
 * The sum as text at the column's declared scale (`numeric(10,2)`: two
 * decimals, zero included), so equal sums read the same whatever versions
 * were added and subtracted on the way; integers have scale 0; a numeric
 * without a declared scale, a float or money, its trailing zeros trimmed.
 */
function formatSum(codec: ColumnCodec, expression: string): string {
  const type = codec.column.type
  if (/^(smallint|integer|int|int2|int4|int8|bigint|serial|smallserial|bigserial)\b/.test(type)) return `round(${expression}, 0)::text`
  const scale = /^(?:numeric|decimal)\s*\(\s*\d+\s*,\s*(\d+)\s*\)/.exec(type)?.[1]
  if (scale !== undefined) return `round(${expression}, ${scale})::text`
  if (/^(?:numeric|decimal)\s*\(\s*\d+\s*\)/.test(type)) return `round(${expression}, 0)::text`
  return `trim_scale(${expression})::text`
}
