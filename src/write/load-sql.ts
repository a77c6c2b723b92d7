import { AUDIT, type TableSqlContext } from '../repository/table-sql-context.js'
import { entityTableNames } from '../schema/entity-table-sql.js'
import { quoteIdentifier } from '../schema/identifier.js'
import { StatementParameters } from '../values/statement-parameters.js'

/**
 * Parameters per loaded version: the key columns, `$present, $value` per
 * value column (as `insert` takes them), and the two ends of `effective`.
 */
export function loadParametersPerVersion(context: TableSqlContext): number {
  return context.keys.length + 2 * context.values.length + 2
}

/** The protocol's limit on parameters in one statement. */
const MAX_PARAMETERS = 65_535

/** The most versions one load statement can carry. */
export function maxLoadBatch(context: TableSqlContext): number {
  return Math.floor((MAX_PARAMETERS - 2) / loadParametersPerVersion(context))
}

/**
 * The statement that inserts `count` versions in one round trip, each as
 * `insert` would: the values given, or the column's default where one was
 * left out; `system` from the database. Overlaps, with current versions or
 * among the versions themselves, are the exclusion constraint's to refuse
 * (SQLSTATE 23P01). On audited tables the last two parameters are the actor
 * and reason of every row. The text depends only on the table and `count`,
 * so a load's full batches share one prepared statement.
 *
 * For the tax-rate table and two versions:
 *
 * ```sql
 * -- bitemporal load of 2 versions into "tax_rates"
 * with inserted as (
 *   insert into "tax_rates" ("state_id", "tax_type", "rate", "effective")
 *   select v.k0, v.k1, case when v.p0 then v.v0 else null end, daterange(v.effective_from, v.effective_to, '[)')
 *   from (values
 *     ($1::text::integer, $2::text, $3::text::boolean, $4::text::numeric, $5::text::date, $6::text::date),
 *     ($7::text::integer, $8::text, $9::text::boolean, $10::text::numeric, $11::text::date, $12::text::date)
 *   ) as v (k0, k1, p0, v0, effective_from, effective_to)
 *   returning 1
 * )
 * select (select count(*) from inserted)::text as inserted,
 *   bitemporal.format_system_time(bitemporal.system_time()) as system_time
 * ```
 */
export function loadSql(context: TableSqlContext, count: number): string {
  const keys = context.keys.map((_, i) => `k${String(i)}`)
  const values = context.values.map((_, i) => `v${String(i)}`)
  const present = context.values.map((_, i) => `p${String(i)}`)
  const types = [
    ...context.keys.map((k) => k.parameterType),
    ...context.values.flatMap((v) => ['boolean', v.parameterType]),
    context.pointType,
    context.pointType,
  ]
  // Numbered in the order load-versions lists the values: version by version, then actor and reason.
  const parameters = new StatementParameters()
  const rows = Array.from({ length: count }, () => `(${types.map((type) => parameters.reserve().as(type)).join(', ')})`)
  const aliases = [...keys, ...context.values.flatMap((_, i) => [present[i], values[i]]), 'effective_from', 'effective_to']
  const audit = context.audit ? `, ${parameters.reserve().as('text')}, ${parameters.reserve().as('text')}` : ''
  const columns = [
    ...context.keys.map((k) => quoteIdentifier(k.column.name)),
    ...context.values.map((v) => quoteIdentifier(v.column.name)),
    context.effective,
    ...(context.audit ? [AUDIT.recordedBy, AUDIT.recordedReason] : []),
  ]
  const selected = [
    ...keys.map((k) => `v.${k}`),
    ...context.values.map((codec, i) => `case when v.${present[i] ?? ''} then v.${values[i] ?? ''} else ${codec.column.default ?? 'null'} end`),
    `${context.rangeType}(v.effective_from, v.effective_to, '[)')`,
  ]
  const source = `(values
    ${rows.join(',\n    ')}
  ) as v (${aliases.join(', ')})`
  // With an entity table, the keys' entity rows first (same statement: the
  // foreign key is checked at its end), so the values list is named once.
  const entity = context.definition.entity
    ? `source as (
  select * from ${source}
),
entity_rows as (
  insert into ${entityTableNames(context.definition).table} (${columns.slice(0, keys.length).join(', ')})
  select distinct ${keys.map((k) => `v.${k}`).join(', ')} from source as v
  on conflict do nothing
),
`
    : ''
  return `-- bitemporal load of ${String(count)} versions into ${context.table}
with ${entity}inserted as (
  insert into ${context.table} (${columns.join(', ')})
  select ${selected.join(', ')}${audit}
  from ${entity === '' ? source : 'source as v'}
  returning 1
)
select (select count(*) from inserted)::text as inserted,
  bitemporal.format_system_time(bitemporal.system_time()) as system_time`
}
