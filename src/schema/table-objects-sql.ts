import { changedAfterSql } from './changed-after-sql.js'
import type { TableDefinition } from './define-table.js'
import { registerTableSql } from './registry-sql.js'
import { tableSqlNames } from './table-sql-names.js'
import { deleteTriggerSql, historyTriggerSql, insertTriggerSql, truncateTriggerSql } from './table-triggers-sql.js'

/**
 * Everything derived from a versions table's columns, after the table
 * itself: its four guard triggers, `<table>_changed_after`, and its row in
 * the registry. The one source `createTable`, `upgradeTable` and
 * `alterTable` all build them from (docs/semantics.md §5a), so a table
 * changed later has the same objects as one created as it is now.
 * `physicalColumns` are the table's columns in `pg_attribute` order
 * (`definitionColumnNames` for a table createTable is about to make).
 *
 * @example
 * ```ts
 * tableObjectsSql(taxRates, ['state_id', 'tax_type', 'rate', 'effective', 'system'])
 * // ['create trigger "tax_rates_check_inserted_system" before insert …',
 * //  'create trigger "tax_rates_guard_history" before update …',
 * //  'create trigger "tax_rates_guard_delete" before delete …',
 * //  'create trigger "tax_rates_guard_truncate" before truncate …',
 * //  'create or replace function "tax_rates_changed_after"(…) …',
 * //  'insert into bitemporal.versioned_table … on conflict (relation) do update …']
 * ```
 */
export function tableObjectsSql(definition: TableDefinition, physicalColumns: readonly string[]): string[] {
  return [
    insertTriggerSql(definition, physicalColumns),
    historyTriggerSql(definition, physicalColumns),
    deleteTriggerSql(definition),
    truncateTriggerSql(definition),
    changedAfterSql(definition),
    registerTableSql(definition),
  ]
}

/**
 * Drops the triggers {@link tableObjectsSql} creates, and the 5-argument
 * `<table>_changed_after` of tables made before decision 73, if they
 * exist; `tableObjectsSql` then creates them again. The triggers go first
 * because PostgreSQL refuses to retype a column a trigger's condition
 * names. DROP TRIGGER takes an ACCESS EXCLUSIVE lock on the table, held to
 * the end of the transaction: no write gets past the guard meanwhile.
 *
 * ```sql
 * drop trigger if exists "tax_rates_check_inserted_system" on "tax_rates";
 * drop trigger if exists "tax_rates_guard_history" on "tax_rates";
 * drop trigger if exists "tax_rates_guard_delete" on "tax_rates";
 * drop trigger if exists "tax_rates_guard_truncate" on "tax_rates";
 * drop function if exists "tax_rates_changed_after"(integer, text, timestamp, daterange, bigint);
 * ```
 */
export function dropTableObjectsSql(definition: TableDefinition): string[] {
  const names = tableSqlNames(definition)
  const earlierSignature = [...definition.keyColumns.map((column) => column.type), 'timestamp', definition.validTime === 'date' ? 'daterange' : 'tstzrange', 'bigint']
  return [
    ...[names.insertTrigger, names.historyTrigger, names.deleteTrigger, names.truncateTrigger].map((trigger) => `drop trigger if exists ${trigger} on ${names.table};`),
    `drop function if exists ${names.changedAfterFunction}(${earlierSignature.join(', ')});`,
  ]
}
