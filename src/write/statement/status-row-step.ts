import { SYSTEM_TIME, type WriteStatementParts } from './write-statement-parts.js'

/**
 * The statement's one result row: raises SQLSTATE 40001 (through
 * `bitemporal.raise_concurrent_write`, with the lock's number when the key
 * was busy) if the verdict was `busy`, `stale` or `changed`, or if a close
 * met its row changed after all (by a writer that bypassed the key's lock:
 * raise rather than write around it); else the outcome, the rows replaced
 * and inserted, and the transaction's system time. All text, so the
 * caller's pg type parsers cannot change what the library reads.
 *
 * ```sql
 * select
 *   case when v.state in ('busy', 'stale', 'changed') or (v.state = 'ok' and r.closed <> v.closing)
 *     then bitemporal.raise_concurrent_write('update on "tax_rates"', case when v.state = 'busy' then hash_record_extended(…) end)::text end as retry,
 *   case when v.state in ('outdated', 'overlapping', 'not_found') then v.state else 'done' end as outcome,
 *   r.replaced::text as closed,
 *   i.inserted::text as inserted,
 *   bitemporal.format_system_time(bitemporal.system_time()) as system_time
 * from verdict v,
 *   (select count(*) as replaced, count(*) filter (where not c.bt$own) as closed from replaced c) as r,
 *   (select count(*) as inserted from inserted) as i
 * ```
 */
export function statusRowStep(parts: WriteStatementParts): string {
  const { operation } = parts
  const { table } = parts.context
  return `select
  -- A close that met its row changed after all (by a writer that bypassed the
  -- key's lock) skipped it: raise rather than write around it.
  case when v.state in ('busy', 'stale', 'changed') or (v.state = 'ok' and r.closed <> v.closing)
    then bitemporal.raise_concurrent_write('${operation} on ${table}', case when v.state = 'busy' then ${parts.keyLock} end)::text end as retry,
  -- Text only: the caller's pg type parsers must not change what the library reads.
  case when v.state in ('outdated', 'overlapping', 'not_found') then v.state else 'done' end as outcome,
  r.replaced::text as closed,
  i.inserted::text as inserted,
  bitemporal.format_system_time(${SYSTEM_TIME}) as system_time
from verdict v,
  (select count(*) as replaced, count(*) filter (where not c.bt$own) as closed from ${parts.replacedRows} c) as r,
  (select count(*) as inserted from inserted) as i`
}
