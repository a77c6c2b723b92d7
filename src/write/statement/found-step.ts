import { quoteIdentifier } from '../../schema/identifier.js'
import { reachCondition } from './reach-sql.js'
import type { WriteStatementParts } from './write-statement-parts.js'

/**
 * `found`: the current versions in the write's reach, read from the
 * statement's snapshot, each with the values it would get (`bt$new_n`),
 * whether those differ from its own (`bt$changes`) and, inside a
 * transaction, whether this transaction inserted it (`bt$own`: it is then
 * deleted rather than closed). For the tax-rate table of `writeSql`'s
 * example and `update` outside a transaction:
 *
 * ```sql
 * found as materialized (
 *   select t.ctid as bt$row, false as bt$own, t."state_id", t."tax_type", t."rate", t."effective", t."system", case when $5::text::boolean then $6::text::numeric else t."rate" end as bt$new_0, t."rate"::text is distinct from (case when $5::text::boolean then $6::text::numeric else t."rate" end)::text as bt$changes
 *   from "tax_rates" as t
 *   where t."state_id" = $1::text::integer and t."tax_type" = $2::text and upper_inf(t."system") and lower(t."effective") < coalesce(upper($3::text::daterange), 'infinity') and (upper_inf(t."effective") or upper(t."effective") > lower($3::text::daterange))
 * )
 * ```
 */
export function foundStep(parts: WriteStatementParts): string {
  const { context, parameters } = parts
  const columns = [...parts.keyColumns, ...parts.valueColumns, context.effective, context.system].map((column) => `t.${column}`)
  const newValues = parameters.values.map((column) => `, ${parts.newValue(column, 't')} as bt$new_${String(column.index)}`)
  return `found as materialized (
  select t.ctid as bt$row, ${ownSql(parts)} as bt$own, ${columns.join(', ')}${newValues.join('')}, ${changesSql(parts)} as bt$changes
  from ${context.table} as t
  where ${parts.keyMatches('t')} and upper_inf(t.${context.system}) and ${reachCondition(parts)}
)`
}

/**
 * Whether a version is this transaction's own. Outside a transaction it
 * cannot be: the write is a transaction of its own.
 */
function ownSql(parts: WriteStatementParts): string {
  if (parts.scope === 'statement') return 'false'
  return `case when lower(t.${parts.context.system}) = bitemporal.system_time()
      then bitemporal.is_own_row(t.xmin)
      else false end`
}

/** Whether a found version `t` changes under the write (`OperationShape.changes` in write-operations.ts). */
function changesSql(parts: WriteStatementParts): string {
  const { changes } = parts.shape
  if (changes === 'always') return 'true'
  if (changes === 'never' || parts.parameters.values.length === 0) return 'false'
  return parts.parameters.values
    .map((column) => column.codec.differs(`t.${quoteIdentifier(column.codec.column.name)}`, parts.newValue(column, 't')))
    .join(' or ')
}
