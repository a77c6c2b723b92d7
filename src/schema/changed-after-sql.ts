import type { TableDefinition } from './define-table.js'
import { quoteIdentifier, quoteQualifiedName } from './identifier.js'
import { tableSqlNames } from './table-sql-names.js'

/**
 * A function of each versions table that a write calls once it holds the
 * key's advisory lock, to see the key as the database is NOW, not as the
 * write statement's snapshot saw it. Another writer of the key that
 * committed in the moment between that snapshot and the lock would otherwise
 * go unnoticed where no row lock meets it (spec invariant 5):
 *
 * - a version of the key started or closed after `t` (the write's system
 *   time): a transaction that started later has already written the key, and
 *   writing at the earlier time would change what was known at that later time;
 * - a different number of current versions overlapping the write's reach
 *   than the statement scanned (`seen`): a version was added where the write
 *   acts, and the write would act as if it were not there.
 *
 * Either way the write raises 40001 and runs again. A PL/pgSQL function,
 * because only a volatile function's queries take a fresh snapshot in the
 * middle of a statement (READ COMMITTED); one per table, because its queries
 * are then static and planned once per connection, where dynamic SQL would
 * be planned on every write.
 *
 * ```sql
 * create or replace function "tax_rates_changed_after"(integer, text, timestamp, daterange, bigint) returns boolean
 * language plpgsql volatile
 * as $$
 * begin
 *   return exists (select 1 from "tax_rates" as h
 *       where h."state_id" = $1 and h."tax_type" = $2 and h."system" && tsrange($3, null, '()')
 *         and (lower(h."system") > $3 or (not upper_inf(h."system") and upper(h."system") > $3)))
 *     or (select count(*) from "tax_rates" as h
 *       where h."state_id" = $1 and h."tax_type" = $2 and upper_inf(h."system") and h."effective" && $4) <> $5;
 * end
 * $$;
 * ```
 */
export function changedAfterSql(definition: TableDefinition): string {
  const table = quoteQualifiedName(definition.table)
  const system = quoteIdentifier(definition.systemColumn)
  const effective = quoteIdentifier(definition.effectiveColumn)
  const keys = definition.keyColumns
  const parameter = (n: number): string => `$${String(keys.length + n)}`
  const [t, reach, seen] = [parameter(1), parameter(2), parameter(3)]
  const keyMatch = keys.map((column, i) => `h.${quoteIdentifier(column.name)} = $${String(i + 1)}`).join(' and ')
  const rangeType = definition.validTime === 'date' ? 'daterange' : 'tstzrange'
  return `create or replace function ${tableSqlNames(definition).changedAfterFunction}(${[...keys.map((column) => column.type), 'timestamp', rangeType, 'bigint'].join(', ')}) returns boolean
language plpgsql volatile
as $$
begin
  return exists (select 1 from ${table} as h
      where ${keyMatch} and h.${system} && tsrange(${t}, null, '()')
        and (lower(h.${system}) > ${t} or (not upper_inf(h.${system}) and upper(h.${system}) > ${t})))
    or (select count(*) from ${table} as h
      where ${keyMatch} and upper_inf(h.${system}) and h.${effective} && ${reach}) <> ${seen};
end
$$;`
}

/** Undoes {@link changedAfterSql}. */
export function dropChangedAfterSql(definition: TableDefinition): string {
  return `drop function ${tableSqlNames(definition).changedAfterFunction};`
}
