import { InvalidInputError } from '../../errors/errors.js'
import { AUDIT_COLUMNS, type TableDefinition } from '../define-table.js'
import { quoteIdentifier, quoteLiteral } from '../identifier.js'
import { tableSqlNames } from '../table-sql-names.js'

const MAX_NAME = 63

/**
 * The name of the check that lets `recorded_by` be null only for versions
 * recorded before audit was turned on: `"<table>_audited_since"`.
 */
export function auditedSinceConstraintName(definition: TableDefinition): string {
  const name = auditedSinceConstraint(definition)
  if (name === undefined) {
    throw new InvalidInputError(
      `table name "${definition.table.name}" is too long to turn audit on: "${definition.table.name}_audited_since" would exceed PostgreSQL's ${MAX_NAME} characters`,
    )
  }
  return quoteIdentifier(name)
}

/** The unquoted name of that check, or `undefined` when the table's name is too long to have one. */
export function auditedSinceConstraint(definition: TableDefinition): string | undefined {
  const name = `${definition.table.name}_audited_since`
  return name.length > MAX_NAME ? undefined : name
}

/**
 * The statements that turn `audit` on for an existing versions table that
 * was created without it and holds versions (docs/semantics.md §5a). They
 * leave what was recorded as it is, and say so instead of inventing an actor:
 *
 * 1. The four audit columns are added, all nullable and without a default,
 *    a change of the catalog only (no row is rewritten). Every version
 *    recorded before reads `null` in all four: nobody knows who recorded
 *    it, or who closed the ones already closed. A version still current
 *    gets `closed_by`/`closed_reason` when a write closes it later, as on
 *    any audited table: the close happens under audit.
 * 2. Where `createTable` makes `recorded_by text not null`, the table gets
 *    the check `"<table>_audited_since"`: `recorded_by` may be null only
 *    in a version whose system time starts at or before the instant audit
 *    was turned on. That instant is the clock when the statement runs,
 *    written into the check as a constant: by then the table is locked
 *    (the columns were just added), so every version already committed
 *    started before it, and every version recorded after it needs an
 *    actor, as on a table created with audit. The check is validated on
 *    the rows there are (a scan, under the lock).
 *
 * The guard triggers (the history guard must now let a close fill in
 * `closed_by` and `closed_reason`, and compares `recorded_by` like any
 * column, so nobody can fill in an actor afterwards; the delete guard gets
 * the close columns as arguments), `<table>_changed_after` and the registry
 * row are `alterTable`'s to regenerate after these statements
 * (`tableObjectsSql`).
 *
 * @example
 * ```ts
 * turnOnAuditSql(defineTable({ name: 'prices', key: { sku: 'text' }, values: { net: 'numeric' }, audit: true }))
 * ```
 * gives
 * ```sql
 * alter table "prices" add column "recorded_by" text, add column "recorded_reason" text, add column "closed_by" text, add column "closed_reason" text;
 * do $audit$
 * begin
 *   execute format('alter table "prices" add constraint "prices_audited_since" check ("recorded_by" is not null or lower("system") <= %L::timestamp)',
 *                  to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'));
 * end
 * $audit$;
 * ```
 */
export function turnOnAuditSql(definition: TableDefinition): string[] {
  if (!definition.audit) {
    throw new InvalidInputError(`turnOnAuditSql takes the definition with audit: true; "${definition.name}" has audit: false`)
  }
  const names = tableSqlNames(definition)
  const recordedBy = quoteIdentifier(AUDIT_COLUMNS.recordedBy)
  const system = quoteIdentifier(definition.systemColumn)
  const addColumns = Object.values(AUDIT_COLUMNS).map((column) => `add column ${quoteIdentifier(column)} text`)
  const check = `alter table ${names.table} add constraint ${auditedSinceConstraintName(definition)} check (${recordedBy} is not null or lower(${system}) <= %L::timestamp)`
  return [
    `alter table ${names.table} ${addColumns.join(', ')};`,
    // A DO block because the instant is known only when the statement runs;
    // ISO text, so the constant does not depend on the session's DateStyle.
    `do $audit$\nbegin\n  execute format(${quoteLiteral(check)},\n                 to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'));\nend\n$audit$;`,
  ]
}
