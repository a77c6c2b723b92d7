import { AUDIT } from '../repository/table-sql-context.js'
import { entityTableNames } from '../schema/entity-table-sql.js'
import { quoteIdentifier } from '../schema/identifier.js'
import { type ConvertPlan, TIME_TYPES } from './convert-plan.js'
import { StatementParameters } from '../values/statement-parameters.js'

/** One statement and its parameters. */
export interface Statement {
  readonly text: string
  readonly parameters: readonly unknown[]
}

/** A point of the plain table's time column `s."col"` as a point of the new table's valid time, independent of the session `TimeZone`. */
function pointOf(plan: ConvertPlan, column: string, typeOid: number): string {
  const type = TIME_TYPES[typeOid]
  const expression = `s.${quoteIdentifier(column)}`
  if (plan.context.pointType === 'date') {
    return type === 'date' ? expression : type === 'timestamp' ? `${expression}::date` : `(${expression} at time zone 'UTC')::date`
  }
  return type === 'date' ? `(${expression}::timestamp at time zone 'UTC')` : type === 'timestamp' ? `(${expression} at time zone 'UTC')` : expression
}

/** Where a row's validity starts, as SQL over the plain table's alias `s`. */
function startSql(plan: ConvertPlan, parameters: StatementParameters): string {
  const point = plan.context.pointType
  if (plan.start.kind === 'fixed') return parameters.add(plan.start.value, point)
  const column = pointOf(plan, plan.start.column.name, plan.start.column.typeOid)
  return plan.start.default === undefined ? column : `coalesce(${column}, ${parameters.add(plan.start.default, point)})`
}

/** Where a row's validity ends (`null` for until further notice; `infinity` counts as null). */
function endSql(plan: ConvertPlan): string {
  if (plan.end === undefined) return 'null'
  const point = pointOf(plan, plan.end.name, plan.end.typeOid)
  return `(case when ${point} <> 'infinity' then ${point} end)`
}

/** The condition of rows the conversion copies (all but those with empty validity, when they are skipped). */
function copiedSql(start: string, end: string, plan: ConvertPlan): string {
  return plan.end === undefined || !plan.skipEmpty ? 'true' : `(${end} is null or ${end} > ${start})`
}

/** `json_build_object('id', s."id", …)::text`: a key as the new table names it, for error messages. */
function keyJson(plan: ConvertPlan): string {
  const keys = plan.copies.slice(0, plan.context.keys.length)
  return `json_build_object(${keys.map((k) => `'${k.target}', s.${quoteIdentifier(k.source.name)}`).join(', ')})::text`
}

/**
 * One pass over the plain table counting what would stop the conversion:
 * null keys, null or infinite starts, empty validity (ends on or before
 * the start), and the rows to copy. For each kind with rows, up to five
 * keys as JSON.
 *
 * ```sql
 * select count(*) filter (where true)::int as copied, …,
 *   (array_agg(json_build_object('id', s."id")::text) filter (where s."id" is null))[1:5] as null_key_sample, …
 * from "public"."plans" as s
 * ```
 */
export function checkSql(plan: ConvertPlan, source: string): Statement {
  const parameters = new StatementParameters()
  const start = startSql(plan, parameters)
  const end = endSql(plan)
  const keys = plan.copies.slice(0, plan.context.keys.length)
  const problems: Record<string, string> = {
    null_key: keys.map((k) => `s.${quoteIdentifier(k.source.name)} is null`).join(' or '),
    bad_start: `${start} is null or ${start} in ('infinity', '-infinity')`,
    empty: plan.end === undefined || plan.skipEmpty ? 'false' : `${start} is not null and ${end} <= ${start}`,
  }
  const copied = copiedSql(start, end, plan)
  const columns = [
    `count(*) filter (where ${copied})::int as copied`,
    `count(*)::int as total`,
    ...Object.entries(problems).flatMap(([name, condition]) => [
      `count(*) filter (where ${condition})::int as ${name}`,
      `(array_agg(${keyJson(plan)}) filter (where ${condition}))[1:5] as ${name}_sample`,
    ]),
  ]
  return { text: `select ${columns.join(',\n  ')}\nfrom ${source} as s`, parameters: parameters.values }
}

/**
 * Keys that appear in more than one row (up to five, with how many keys are
 * duplicated in all): the exclusion constraint would refuse their versions.
 *
 * ```sql
 * select key, rows, count(*) over ()::int as keys from (
 *   select json_build_object('id', s."id")::text as key, count(*)::int as rows from "public"."plans" as s where true group by s."id" having count(*) > 1
 * ) d order by rows desc, key limit 5
 * ```
 */
export function duplicateSql(plan: ConvertPlan, source: string): Statement {
  const keys = plan.copies.slice(0, plan.context.keys.length).map((k) => `s.${quoteIdentifier(k.source.name)}`)
  const parameters = new StatementParameters()
  // The start is a parameter when fixed: only name it when the condition uses it.
  const copied = plan.end === undefined || !plan.skipEmpty ? 'true' : copiedSql(startSql(plan, parameters), endSql(plan), plan)
  return {
    text: `select key, rows, count(*) over ()::int as keys from (
  select ${keyJson(plan)} as key, count(*)::int as rows from ${source} as s where ${copied} group by ${keys.join(', ')} having count(*) > 1
) d order by rows desc, key limit 5`,
    parameters: parameters.values,
  }
}

/**
 * The statement that copies one range of the plain table's pages (`ctid`
 * from `$1`, below `$2` unless `last`) as versions, with the entity rows
 * first on tables with `entity: true`. Runs on the server: no row travels
 * through Node. `system` is left to its default, the transaction's time.
 *
 * ```sql
 * with copied as (
 *   insert into "plan_versions" ("id", "name", "price", "effective")
 *   select s."id", s."name", s."price", daterange((s."created_at" at time zone 'UTC')::date, (case when (s."deleted_at" at time zone 'UTC')::date <> 'infinity' then (s."deleted_at" at time zone 'UTC')::date end), '[)')
 *   from "public"."plans_plain" as s
 *   where s.ctid >= $1::text::tid and s.ctid < $2::text::tid and true
 *   returning 1
 * )
 * select (select count(*) from copied)::int as copied, bitemporal.format_system_time(bitemporal.system_time()) as system_time
 * ```
 */
export function copySql(plan: ConvertPlan, source: string, low: string, high: string | undefined): Statement {
  const parameters = new StatementParameters()
  const range = [`s.ctid >= ${parameters.add(low, 'tid')}`, ...(high === undefined ? [] : [`s.ctid < ${parameters.add(high, 'tid')}`])]
  const start = startSql(plan, parameters)
  const end = endSql(plan)
  const where = [...range, copiedSql(start, end, plan)].join(' and ')
  const keys = plan.copies.slice(0, plan.context.keys.length)
  const targets = [...plan.copies.map((c) => quoteIdentifier(c.target)), plan.context.effective]
  const selected = [...plan.copies.map((c) => `s.${quoteIdentifier(c.source.name)}`), `${plan.context.rangeType}(${start}, ${end}, '[)')`]
  if (plan.context.audit) {
    targets.push(AUDIT.recordedBy, AUDIT.recordedReason)
    selected.push(parameters.add(plan.audit[0], 'text'), parameters.add(plan.audit[1], 'text'))
  }
  // The entity rows in the same statement: the foreign key is checked at its end.
  const entity = plan.context.definition.entity
    ? `entities as (
  insert into ${entityTableNames(plan.context.definition).table} (${keys.map((k) => quoteIdentifier(k.target)).join(', ')})
  select ${keys.map((k) => `s.${quoteIdentifier(k.source.name)}`).join(', ')} from ${source} as s where ${where}
),
`
    : ''
  return {
    text: `with ${entity}copied as (
  insert into ${plan.context.table} (${targets.join(', ')})
  select ${selected.join(', ')}
  from ${source} as s
  where ${where}
  returning 1
)
select (select count(*) from copied)::int as copied, bitemporal.format_system_time(bitemporal.system_time()) as system_time`,
    parameters: parameters.values,
  }
}
