import { AUDIT } from '../../repository/table-sql-context.js'
import { SYSTEM_TIME, VERDICT_OK, type WriteStatementParts } from './write-statement-parts.js'

/**
 * The condition on a version `t` and its `found` row `l` that makes it one
 * the write replaces: found, overlapping the portion, with values that change.
 */
export function replacingSql(parts: WriteStatementParts): string {
  return `t.ctid = l.bt$row and l.bt$changes and l.${parts.context.effective} && ${parts.portion}`
}

/**
 * `closed`: ends the system time of the versions the write replaces that
 * other transactions committed (this transaction's own are removed
 * instead), and on audited tables records who closed them and why.
 *
 * ```sql
 * closed as (
 *   update "tax_rates" as t set "system" = tsrange(lower(t."system"), bitemporal.system_time(), '[)')
 *   from found l
 *   where t.ctid = l.bt$row and l.bt$changes and l."effective" && $3::text::daterange and not l.bt$own and (select v.state = 'ok' from verdict v)
 *   returning l.*
 * )
 * ```
 */
export function closedStep(parts: WriteStatementParts): string {
  const { table, system } = parts.context
  const audit = parts.parameters.audit
  const auditColumns =
    audit === undefined ? '' : `, ${AUDIT.closedBy} = ${audit.actor.as('text')}, ${AUDIT.closedReason} = ${audit.reason.as('text')}`
  return `closed as (
  update ${table} as t set ${system} = tsrange(lower(t.${system}), ${SYSTEM_TIME}, '[)')${auditColumns}
  from found l
  where ${replacingSql(parts)} and not l.bt$own and ${VERDICT_OK}
  returning l.*
)`
}
