import { AUDIT_COLUMNS, type TableDefinition } from './define-table.js'
import { quoteIdentifier } from './identifier.js'
import { tableSqlNames } from './table-sql-names.js'

/**
 * `bitemporal.system_time()` spelled out, for trigger WHEN clauses only.
 * PostgreSQL plans a WHEN clause again on every statement that fires the
 * trigger, and inlining a SQL function means parsing its body each time: with
 * the function, the guard's condition took about a twelfth of a write's
 * server time (a CPU profile of the backend), a third of that without it.
 * Keep it equal to the function in sql/functions/system_time.sql.
 */
const TRIGGER_SYSTEM_TIME = "(now() at time zone 'UTC')"

/**
 * The BEFORE INSERT trigger that refuses a `system` other than `[T, )`.
 * Its condition also compares a row of the table's columns as they were
 * when the trigger was made (`physicalColumns`) with the inserted row:
 * always equal, until a plain `ALTER TABLE … ADD COLUMN` makes them differ
 * in length and every insert fails with 42804 (`TableNeedsUpgradeError`),
 * like every close ({@link closeOnlySql}). So a write that only inserts (a
 * key's first version) fails too until `upgradeTable` has run, rather than
 * write versions whose new column nobody could set.
 *
 * ```sql
 * create trigger "tax_rates_check_inserted_system" before insert on "tax_rates"
 *   for each row when (NEW."system" is distinct from tsrange((now() at time zone 'UTC'), null, '[)')
 *     or not row(NEW."state_id", NEW."tax_type", NEW."rate", NEW."effective", NEW."system") *= NEW)
 *   execute function bitemporal.check_inserted_system('system');
 * ```
 */
export function insertTriggerSql(definition: TableDefinition, physicalColumns: readonly string[]): string {
  const { table, insertTrigger } = tableSqlNames(definition)
  const system = quoteIdentifier(definition.systemColumn)
  const sameColumns = `row(${physicalColumns.map((column) => `NEW.${quoteIdentifier(column)}`).join(', ')}) *= NEW`
  return (
    `create trigger ${insertTrigger} before insert on ${table}\n` +
    `  for each row when (NEW.${system} is distinct from tsrange(${TRIGGER_SYSTEM_TIME}, null, '[)')\n    or not ${sameColumns})\n` +
    `  execute function bitemporal.check_inserted_system('${definition.systemColumn}');`
  )
}

/**
 * The BEFORE UPDATE trigger of the history guard: any UPDATE but a close
 * runs it, and it refuses. `physicalColumns` are the table's columns in the
 * order PostgreSQL stores them (`pg_attribute.attnum`): see
 * {@link closeOnlySql}.
 */
export function historyTriggerSql(definition: TableDefinition, physicalColumns: readonly string[]): string {
  const { table, historyTrigger } = tableSqlNames(definition)
  return `create trigger ${historyTrigger} before update on ${table}\n  for each row when (not (${closeOnlySql(definition, physicalColumns)}))\n  execute function bitemporal.guard_history(${guardArgumentsSql(definition)});`
}

/** The BEFORE DELETE trigger: the guard refuses every DELETE. */
export function deleteTriggerSql(definition: TableDefinition): string {
  const { table, deleteTrigger } = tableSqlNames(definition)
  return `create trigger ${deleteTrigger} before delete on ${table}\n  for each row execute function bitemporal.guard_history(${guardArgumentsSql(definition)});`
}

/** The BEFORE TRUNCATE trigger: the guard refuses every TRUNCATE. */
export function truncateTriggerSql(definition: TableDefinition): string {
  const { table, truncateTrigger } = tableSqlNames(definition)
  return `create trigger ${truncateTrigger} before truncate on ${table}\n  for each statement execute function bitemporal.guard_history('${definition.systemColumn}');`
}

/** The history guard's arguments: the system column and, on audited tables, the close columns. */
function guardArgumentsSql(definition: TableDefinition): string {
  return [definition.systemColumn, ...(definition.audit ? [AUDIT_COLUMNS.closedBy, AUDIT_COLUMNS.closedReason] : [])].map((name) => `'${name}'`).join(', ')
}

/**
 * The trigger condition of an UPDATE that only closes a current row at the
 * transaction's system time (and, on audited tables, fills in who closed it
 * and why): the one UPDATE a write makes. Such an UPDATE skips the
 * PL/pgSQL guard, which costs more than the rest of closing a row; any
 * other UPDATE runs it and fails with its message.
 *
 * Each row comparison builds an anonymous row of one side's columns with
 * the other side's system (and close) columns, in the table's physical
 * column order, and compares binary images with the whole row (`*=`, so
 * even `1.0` → `1.00` counts as a change):
 *
 * ```sql
 * row(OLD."state_id", OLD."tax_type", OLD."rate", OLD."effective", NEW."system") *= NEW
 * ```
 *
 * No cast to the table's row type: a cast records a dependency on that
 * type, and PostgreSQL then refuses `ALTER TABLE … ADD COLUMN … DEFAULT`
 * ("trigger … uses its row type"); a whole-row `NEW` records none
 * (docs/semantics.md §5a). A column added by a plain `ALTER TABLE` makes
 * the row and `NEW` differ in length, and the comparison raises 42804
 * ("cannot compare record types with different numbers of columns"): every
 * close fails, as `TableNeedsUpgradeError`, until `upgradeTable` lists the
 * new column here. A column the condition names cannot be dropped or
 * retyped without dropping the guard (PostgreSQL refuses), which is what
 * history needs; `alterTable` drops and re-creates it around a widening.
 */
export function closeOnlySql(definition: TableDefinition, physicalColumns: readonly string[]): string {
  const system = quoteIdentifier(definition.systemColumn)
  const closeColumns = definition.audit ? [AUDIT_COLUMNS.closedBy, AUDIT_COLUMNS.closedReason] : []
  const changing = new Set([definition.systemColumn, ...closeColumns])
  const row = (kept: string, changed: string): string =>
    `row(${physicalColumns.map((c) => `${changing.has(c) ? changed : kept}.${quoteIdentifier(c)}`).join(', ')}) *= ${changed}`
  return [
    // A row closed by the transaction that inserted it would get the empty range [T, T).
    `upper_inf(OLD.${system}) and lower(OLD.${system}) < ${TRIGGER_SYSTEM_TIME}`,
    `NEW.${system} = tsrange(lower(OLD.${system}), ${TRIGGER_SYSTEM_TIME}, '[)')`,
    ...closeColumns.map((c) => `OLD.${quoteIdentifier(c)} is null`),
    row('OLD', 'NEW'),
    row('NEW', 'OLD'),
  ].join('\n    and ')
}
