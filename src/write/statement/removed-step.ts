import { replacingSql } from './closed-step.js'
import { VERDICT_OK, type WriteStatementParts } from './write-statement-parts.js'

/**
 * `removed`, inside a transaction only: deletes the versions the write
 * replaces that this transaction inserted itself (closing them would leave
 * a version whose system time is empty). Outside a transaction the write
 * cannot meet its own rows, and the step is left out.
 *
 * ```sql
 * removed as (
 *   delete from "tax_rates" as t using found l
 *   where t.ctid = l.bt$row and l.bt$changes and l."effective" && $3::text::daterange and l.bt$own and (select v.state = 'ok' from verdict v)
 *   returning l.*
 * )
 * ```
 */
export function removedStep(parts: WriteStatementParts): string | undefined {
  if (parts.scope === 'statement') return undefined
  return `removed as (
  delete from ${parts.context.table} as t using found l
  where ${replacingSql(parts)} and l.bt$own and ${VERDICT_OK}
  returning l.*
)`
}

/**
 * `replaced`, inside a transaction only: the versions the write replaced,
 * closed or removed, which the inserted rows are derived from.
 */
export function replacedStep(parts: WriteStatementParts): string | undefined {
  if (parts.scope === 'statement') return undefined
  return `replaced as (
  select * from closed union all select * from removed
)`
}
