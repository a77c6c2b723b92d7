import type { TableSqlContext } from '../repository/table-sql-context.js'
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
 * runs again within the statement: the `in_turn` step). With the lock
 * held, it asks whether the key is still as found ({@link keyChangedSql}):
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
 * For the tax-rate table and `update`, the statement reads:
 *
 * ```sql
 * with
 * found as materialized (            -- the current versions in reach, with the values they would get
 *   select t.ctid as bt$row, <own> as bt$own, t."state_id", t."tax_type", t."rate", t."effective", t."system",
 *     case when $6::text::boolean then $7::text::numeric else t."rate" end as bt$new_0,
 *     t."rate"::text is distinct from (…bt$new_0…)::text as bt$changes
 *   from "tax_rates" as t
 *   where t."state_id" = $1::text::integer and t."tax_type" = $2::text
 *     and upper_inf(t."system") and lower(t."effective") < … and …),
 * verdict as materialized (
 *   select case
 *       when not pg_try_advisory_xact_lock(<hash of the key>) then 'busy'
 *       when <a found row starts at or after T> then 'stale'
 *       when <the key changed since the snapshot: keyChangedSql> then 'changed'
 *       when <expect given, and the key changed after it> then 'outdated'
 *       else 'ok' end as state,
 *     count(*) filter (where <the row will be closed>) as closing
 *   from found f),
 * closed as (update "tax_rates" as t set "system" = tsrange(lower(t."system"), bitemporal.system_time(), '[)')
 *   from found l where t.ctid = l.bt$row and <it changes and overlaps the portion> and <verdict ok> returning l.*),
 * removed as (delete … rows this transaction inserted itself … returning l.*),
 * replaced as (select * from closed union all select * from removed),
 * inserted as (insert into "tax_rates" (…) select … from (leftovers before the portion
 *   ∪ leftovers after it ∪ the portion's new rows) … where <verdict ok> returning 1)
 * -- only with entity: true:
 * entity_row as (insert into "tax_rates_entity" ("state_id", "tax_type") select $1::text::integer, $2::text
 *   where exists (select 1 from inserted) on conflict do nothing)
 * select <raise 40001 if busy, stale, changed, or a close missed its row>, <outcome>,
 *   <rows closed>, <rows inserted>, bitemporal.format_system_time(bitemporal.system_time()) as system_time
 * from verdict v
 * ```
 *
 * The operations differ in what they find and insert; `set` without `to`
 * and `correct` add a `portion` step that derives the portion from the
 * versions found. A write outside a transaction has no `removed` step, and
 * has an `in_turn` step ({@link inTurnStep}) that, when the key was busy,
 * runs the statement again in turn in the server and returns its row.
 *
 * ```sql
 * in_turn as materialized (
 *   select case when v.state = 'busy' then bitemporal.write_in_turn(<key lock>, '<this statement without in_turn>', array[$1::text, …]) end as bt$result
 *   from verdict v)
 * select <the status row above> where v.state <> 'busy'
 * union all
 * select t.bt$result[1], …, t.bt$result[5] from in_turn t where t.bt$result is not null
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
