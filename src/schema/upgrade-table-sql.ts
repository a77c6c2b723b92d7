import { assertDefinition } from '../query/as-of-instant.js'
import { changedAfterSql } from './changed-after-sql.js'
import { historyTriggerSql, insertTriggerSql } from './create-table-sql.js'
import type { TableDefinition } from './define-table.js'
import { tableSqlNames } from './table-sql-names.js'

/**
 * The DDL that brings the per-table objects of a table created by an earlier
 * version of the library up to this one's, without touching its rows: the
 * write statements call `<table>_changed_after` with the row versions they
 * found (decision 73), which locks the key's current versions under
 * REPEATABLE READ and SERIALIZABLE (decision 77), and the two row triggers
 * spell out the system time in their WHEN clauses (decision 74). Safe to
 * run on a table that is already current. Run it in a migration, as the
 * table's owner; the triggers are dropped and created in the same
 * transaction, so no write gets past the guard meanwhile (DROP TRIGGER takes
 * an exclusive lock on the table).
 *
 * @example
 * ```ts
 * // migrations/20261205120000_upgrade_tax_rates.ts
 * import { upgradeTable } from 'bitemporal'
 * export const up = (db) => upgradeTable(db, taxRates)
 * ```
 * sends
 * ```sql
 * drop function if exists "tax_rates_changed_after"(integer, text, timestamp, daterange, bigint);
 * create or replace function "tax_rates_changed_after"(integer, text, timestamp, daterange, bigint, tid[]) …;
 * drop trigger "tax_rates_check_inserted_system" on "tax_rates";
 * create trigger "tax_rates_check_inserted_system" before insert on "tax_rates" …;
 * drop trigger "tax_rates_guard_history" on "tax_rates";
 * create trigger "tax_rates_guard_history" before update on "tax_rates" …;
 * ```
 */
export function upgradeTableSql(definition: TableDefinition): string {
  assertDefinition(definition, 'upgradeTableSql')
  const names = tableSqlNames(definition)
  const earlierSignature = [...definition.keyColumns.map((column) => column.type), 'timestamp', definition.validTime === 'date' ? 'daterange' : 'tstzrange', 'bigint']
  return [
    `drop function if exists ${names.changedAfterFunction}(${earlierSignature.join(', ')});`,
    changedAfterSql(definition),
    `drop trigger ${names.insertTrigger} on ${names.table};`,
    insertTriggerSql(definition),
    `drop trigger ${names.historyTrigger} on ${names.table};`,
    historyTriggerSql(definition),
  ].join('\n')
}
