import type { TableSqlContext } from '../statement/table-sql-context.js'
import { closedStep } from './statement/closed-step.js'
import { entityRowStep } from './statement/entity-row-step.js'
import { foundStep } from './statement/found-step.js'
import { inTurnStatusRow, inTurnStep } from './statement/in-turn-step.js'
import { insertedStep } from './statement/inserted-step.js'
import { portionStep } from './statement/portion-step.js'
import { removedStep, replacedStep } from './statement/removed-step.js'
import { statusRowStep } from './statement/status-row-step.js'
import { verdictStep } from './statement/verdict-step.js'
import { type WriteVariant, writeStatementParts } from './statement/write-statement-parts.js'
import type { WriteOperation } from './write-operation.js'

// The callers' imports: the statement's parts and parameters live beside it.
export { type WriteScope, type WriteVariant, writeKeyLockSql } from './statement/write-statement-parts.js'
export {
  type WriteParameterLayout,
  type WriteParameterValues,
  writeParameterLayout,
  writeParameters,
} from './write-parameters.js'

/**
 * The one statement a write sends: it finds the current versions it may
 * replace, works out the rows that replace them, closes (or, for rows this
 * transaction inserted itself, deletes) what changes, and inserts the
 * replacements — or does nothing, if nothing would change. Every value is a
 * parameter; the text depends only on the table and the operation, so it is
 * built once per table.
 *
 * How the statement stays correct under READ COMMITTED (docs/semantics.md §6):
 * `found` reads the current versions in reach from the statement's
 * snapshot. `verdict` then takes the key's advisory lock; if another
 * transaction holds it, the statement waits for that one to end and raises
 * SQLSTATE 40001, so the write runs again on a fresh snapshot (a single
 * write, outside a transaction, instead waits its turn for the lock and
 * runs again within the statement: the `in_turn` step, decision 148). With the lock
 * held, it asks whether the key is still as found (`keyChangedSql`):
 * if the current versions in reach are no longer exactly the row versions
 * `found` saw (a writer committed between the snapshot and the lock), or a
 * transaction that started later has written the key, the statement raises
 * 40001 too. Otherwise nobody can change the key until this
 * transaction ends (every writer needs the lock), so the statement closes
 * and inserts without row locks of its own; a close that still finds its
 * row changed (a writer that bypassed the lock) makes the statement raise
 * rather than write around it. So does a found row whose system time starts
 * after this transaction's (a later transaction committed first). The steps
 * of `verdict` are one CASE, which PostgreSQL evaluates in order, so the
 * re-check runs only once the lock is held.
 *
 * The statement is built from `WRITE_OPERATIONS` (each operation as data,
 * src/write/statement/write-operations.ts) by one function per step, in
 * src/write/statement/: `found`,
 * `portion` (only where the portion is derived from the versions found:
 * `set` without `to`, `correct`), `verdict`, `closed`, `removed` and
 * `replaced` (inside a transaction only), `inserted`, `entity_row` (tables
 * with an entity table), `in_turn` (outside a transaction only: when the
 * key was busy, the statement run again in turn in the server, see
 * `inTurnStep`), and the status row.
 *
 * For the tax-rate table (key `state_id integer, tax_type text`, value
 * `rate numeric not null`), `update` inside a transaction, with `expect`
 * (`…` marks what is left out; a test checks the rest against the
 * statement):
 *
 * ```sql
 * -- bitemporal update on "tax_rates"
 * with
 * found as materialized (
 *   select t.ctid as bt$row, case when lower(t."system") = bitemporal.system_time()
 *       then bitemporal.is_own_row(t.xmin)
 *       else false end as bt$own, t."state_id", t."tax_type", t."rate", t."effective", t."system", case when $5::text::boolean then $6::text::numeric else t."rate" end as bt$new_0, t."rate"::text is distinct from (case when $5::text::boolean then $6::text::numeric else t."rate" end)::text as bt$changes
 *   from "tax_rates" as t
 *   where t."state_id" = $1::text::integer and t."tax_type" = $2::text and upper_inf(t."system") and lower(t."effective") < coalesce(upper($3::text::daterange), 'infinity') and (upper_inf(t."effective") or upper(t."effective") > lower($3::text::daterange))
 * ),
 * verdict as materialized (
 *   select case
 *       when not pg_try_advisory_xact_lock(hash_record_extended(row('"tax_rates"'::regclass::oid, $1::text::integer, $2::text), 0)) then 'busy'
 *       …
 *       when coalesce(bool_or(lower(f."system") > bitemporal.system_time() or (lower(f."system") = bitemporal.system_time() and not f.bt$own)), false) then 'stale'
 *       …
 *       when case when current_setting('transaction_isolation') = 'read committed'
 *         … else "tax_rates_changed_after"($1::text::integer, $2::text, bitemporal.system_time(), $3::text::daterange, count(*), array_agg(f.bt$row)) end then 'changed'
 *       when $4::text is not null and $4::text::timestamptz at time zone 'UTC' < (
 *         select max(greatest(lower(h."system"), upper(h."system"))) from "tax_rates" as h where h."state_id" = $1::text::integer and h."tax_type" = $2::text) then 'outdated'
 *       else 'ok' end as state,
 *     count(*) filter (where f.bt$changes and f."effective" && $3::text::daterange and not f.bt$own) as closing
 *   from found f
 * ),
 * closed as (
 *   update "tax_rates" as t set "system" = tsrange(lower(t."system"), bitemporal.system_time(), '[)')
 *   from found l
 *   where t.ctid = l.bt$row and l.bt$changes and l."effective" && $3::text::daterange and not l.bt$own and (select v.state = 'ok' from verdict v)
 *   returning l.*
 * ),
 * removed as (
 *   delete from "tax_rates" as t using found l
 *   where t.ctid = l.bt$row and l.bt$changes and l."effective" && $3::text::daterange and l.bt$own and (select v.state = 'ok' from verdict v)
 *   returning l.*
 * ),
 * replaced as (
 *   select * from closed union all select * from removed
 * ),
 * inserted as (
 *   insert into "tax_rates" ("state_id", "tax_type", "rate", "effective")
 *   select n.*
 *   from (
 *   select c."state_id", c."tax_type", c."rate", c."effective" * daterange(null, lower($3::text::daterange), '[)') from replaced c where lower(c."effective") < lower($3::text::daterange)
 *   union all
 *   select c."state_id", c."tax_type", c."rate", c."effective" * daterange(upper($3::text::daterange), null, '[)') from replaced c where not upper_inf($3::text::daterange) and (upper_inf(c."effective") or upper(c."effective") > upper($3::text::daterange))
 *   union all
 *   select c."state_id", c."tax_type", c.bt$new_0, c."effective" * $3::text::daterange from replaced c
 *   ) as n ("state_id", "tax_type", "rate", bt$range)
 *   where (select v.state = 'ok' from verdict v) and not isempty(n.bt$range)
 *   returning 1
 * )
 * select
 *   …
 *   case when v.state in ('busy', 'stale', 'changed') or (v.state = 'ok' and r.closed <> v.closing)
 *     then bitemporal.raise_concurrent_write('update on "tax_rates"', case when v.state = 'busy' then hash_record_extended(row('"tax_rates"'::regclass::oid, $1::text::integer, $2::text), 0) end)::text end as retry,
 *   …
 *   case when v.state in ('outdated', 'overlapping', 'not_found') then v.state else 'done' end as outcome,
 *   r.replaced::text as closed,
 *   i.inserted::text as inserted,
 *   bitemporal.format_system_time(bitemporal.system_time()) as system_time
 * from verdict v,
 *   (select count(*) as replaced, count(*) filter (where not c.bt$own) as closed from replaced c) as r,
 *   (select count(*) as inserted from inserted) as i
 * ```
 */
export function writeSql(context: TableSqlContext, operation: WriteOperation, variant: WriteVariant = {}): string {
  const parts = writeStatementParts(context, operation, variant)
  const steps = [
    foundStep(parts),
    portionStep(parts),
    verdictStep(parts),
    closedStep(parts),
    removedStep(parts),
    replacedStep(parts),
    insertedStep(parts),
    entityRowStep(parts),
  ].filter((step) => step !== undefined)
  const statement = (inTurn: string | undefined): string => `-- bitemporal ${operation} on ${context.table}
with
${[...steps, ...(inTurn === undefined ? [] : [inTurn])].join(',\n')}
${statusRowStep(parts)}${inTurn === undefined ? '' : inTurnStatusRow(parts)}`
  // A single write's statement carries itself, without the in_turn step, to run again in turn when the key is busy.
  const own = statement(undefined)
  const inTurn = inTurnStep(parts, own)
  return inTurn === undefined ? own : statement(inTurn)
}
