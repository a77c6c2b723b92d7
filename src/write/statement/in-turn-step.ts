import { quoteLiteral } from '../../schema/identifier.js'
import type { WriteParameterSlots } from '../write-parameters.js'
import type { WriteStatementParts } from './write-statement-parts.js'

/**
 * `in_turn`, in the statement of a single write (one outside any
 * transaction of the caller's): when the key's lock was busy, the write
 * waits its turn for it in the server and runs again there, in a snapshot
 * taken once the lock is held, through `bitemporal.write_in_turn`
 * (sql/functions/write_in_turn.sql). So writers of a hot key queue on the
 * key's lock as plain UPDATEs queue on a row lock, instead of each failing
 * with SQLSTATE 40001 and coming back with BEGIN, the lock, the write and
 * COMMIT (decision 148). The function gets the write's own statement
 * without this step (`statement`), its parameters read from one array.
 *
 * A materialized CTE whose CASE calls the function only when the verdict
 * was `busy`: PostgreSQL evaluates a CASE branch only when it is taken, and
 * a materialized CTE once. Inside a transaction there is no such step: a
 * transaction that waited for a key's lock while holding others could
 * deadlock with one that waits the other way round, so there the write
 * still raises and `transaction()` runs the transaction again.
 *
 * ```sql
 * in_turn as materialized (
 *   select case when v.state = 'busy'
 *     then bitemporal.write_in_turn(<key lock>, '<the statement, with $1[n] for $n>', array[$1::text, $2::text, …]) end as bt$result
 *   from verdict v
 * )
 * ```
 */
export function inTurnStep(parts: WriteStatementParts, statement: string): string | undefined {
  if (parts.scope !== 'statement') return undefined
  const positions = parameterPositions(parts.parameters)
  // Every parameter of a write is spelled `$n::text…` (textParameter), so `$n::` names exactly the parameters.
  const fromArray = statement.replace(/\$(\d+)::/g, (_, position: string) => `$1[${position}]::`)
  return `in_turn as materialized (
  select case when v.state = 'busy'
    then bitemporal.write_in_turn(${parts.keyLock}, ${quoteLiteral(fromArray)}, array[${positions.map((position) => `$${String(position)}::text`).join(', ')}]) end as bt$result
  from verdict v
)`
}

/**
 * What the status row adds when the statement has an `in_turn` step: its
 * own row only when the key was not busy, else the row of the write run in
 * turn.
 *
 * ```sql
 * where v.state <> 'busy'
 * union all
 * select t.bt$result[1], t.bt$result[2], t.bt$result[3], t.bt$result[4], t.bt$result[5]
 * from in_turn t where t.bt$result is not null
 * ```
 */
export function inTurnStatusRow(parts: WriteStatementParts): string {
  if (parts.scope !== 'statement') return ''
  return `
where v.state <> 'busy'
union all
select t.bt$result[1], t.bt$result[2], t.bt$result[3], t.bt$result[4], t.bt$result[5]
from in_turn t where t.bt$result is not null`
}

/** `[1, 2, …, n]`: every parameter of the statement, in order. */
function parameterPositions(slots: WriteParameterSlots): number[] {
  const all = [
    ...slots.key.map((key) => key.parameter),
    slots.target,
    slots.expect,
    ...(slots.audit === undefined ? [] : [slots.audit.actor, slots.audit.reason]),
    ...slots.values.flatMap((column) => [column.present, column.value]),
  ]
  return all.map((parameter) => parameter.position)
}
