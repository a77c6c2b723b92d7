import { quoteIdentifier, quoteLiteral } from '../schema/identifier.js'
import { type ConvertPlan, TIME_TYPES } from './convert-plan.js'

/**
 * The compatibility view a conversion with `view: true` leaves under the
 * plain table's old name: its columns, in its order and types, one row per
 * key that current knowledge has, showing
 *
 * - the version valid today (UTC day; now for `effective: 'timestamp'`);
 *   if none, the latest one that started before today (an entity whose
 *   validity ended: a soft-deleted row), else the first one to come;
 * - key and value columns from that version;
 * - the `effectiveFrom` column (unless it is also a value column): the
 *   start of the key's first version;
 * - the `effectiveTo` column: the end of the key's last version, or null
 *   while its validity is open.
 *
 * So a reader's `where deleted_at is null` still means "live", and the
 * view shows what the plain table would show if writers had kept writing
 * it. It is evaluated at query time. Its rows cannot be written (it is not
 * an updatable view): writes go through the repository.
 *
 * For `plans (id, name, price, created_at, deleted_at)` converted into
 * `plan_versions` (daterange) it is
 *
 * ```sql
 * create view "public"."plans" as
 * select v."id"::integer as "id", v."name"::text as "name", v."price"::numeric(10,2) as "price",
 *   (v.bitemporal_first_from::timestamp at time zone 'UTC')::timestamp with time zone as "created_at",
 *   (v.bitemporal_last_to::timestamp at time zone 'UTC')::timestamp with time zone as "deleted_at"
 * from (
 *   select distinct on (t."id") t.*,
 *     min(lower(t."effective")) over w as bitemporal_first_from,
 *     case when bool_or(upper_inf(t."effective")) over w then null else max(upper(t."effective")) over w end as bitemporal_last_to
 *   from "plan_versions" as t
 *   where upper_inf(t."system")
 *   window w as (partition by t."id")
 *   order by t."id", lower(t."effective") > (current_timestamp at time zone 'UTC')::date,
 *     case when lower(t."effective") <= (current_timestamp at time zone 'UTC')::date then lower(t."effective") end desc, lower(t."effective")
 * ) as v;
 * ```
 */
export function compatibilityViewSql(plan: ConvertPlan): string {
  const context = plan.context
  const effective = `t.${context.effective}`
  const today = context.pointType === 'date' ? `(current_timestamp at time zone 'UTC')::date` : 'current_timestamp'
  const keys = plan.copies.slice(0, context.keys.length).map((k) => `t.${quoteIdentifier(k.target)}`)
  const bySource = new Map(plan.copies.map((c) => [c.source.name, c.target]))
  const startColumn = plan.start.kind === 'column' ? plan.start.column.name : undefined
  const shown = plan.source.columns.map((column) => {
    const target = bySource.get(column.name)
    const expression = target !== undefined
      ? `v.${quoteIdentifier(target)}`
      : column.name === startColumn
        ? pointAs(context.pointType, 'v.bitemporal_first_from', column.typeOid)
        : pointAs(context.pointType, 'v.bitemporal_last_to', column.typeOid)
    // The plain table's own type, from the catalog (format_type), so the view has its shape.
    return `${expression}::${column.type} as ${quoteIdentifier(column.name)}`
  })
  const viewName = `${quoteIdentifier(plan.source.schema)}.${quoteIdentifier(plan.source.name)}`
  return `create view ${viewName} as
select ${shown.join(',\n  ')}
from (
  select distinct on (${keys.join(', ')}) t.*,
    min(lower(${effective})) over w as bitemporal_first_from,
    case when bool_or(upper_inf(${effective})) over w then null else max(upper(${effective})) over w end as bitemporal_last_to
  from ${context.table} as t
  where upper_inf(t.${context.system})
  window w as (partition by ${keys.join(', ')})
  order by ${keys.join(', ')}, lower(${effective}) > ${today},
    case when lower(${effective}) <= ${today} then lower(${effective}) end desc, lower(${effective})
) as v;
comment on view ${viewName} is ${quoteLiteral(`bitemporal: compatibility view of ${context.table} (current knowledge, valid today); write through the repository`)}`
}

/** A point of valid time (`date` or `timestamptz`) as the plain table's column type, independent of the session `TimeZone`. */
function pointAs(pointType: string, expression: string, typeOid: number): string {
  const type = TIME_TYPES[typeOid]
  if (pointType === 'date') {
    return type === 'date' ? expression : type === 'timestamp' ? `${expression}::timestamp` : `(${expression}::timestamp at time zone 'UTC')`
  }
  return type === 'timestamptz' ? expression : type === 'timestamp' ? `(${expression} at time zone 'UTC')` : `(${expression} at time zone 'UTC')::date`
}
