import { assertDefinition } from '../query/as-of-instant.js'
import { AUDIT_COLUMNS, type TableDefinition } from './define-table.js'
import { columnTypeSql } from './column-type.js'
import { quoteIdentifier } from './identifier.js'
import { tableSqlNames } from './table-sql-names.js'
import { dropChangedAfterSql } from './changed-after-sql.js'
import { dropEntityTableSql, entityForeignKeySql, entityTableSql } from './entity-table-sql.js'
import { dropReferencesSql, referencesSql } from './reference-sql.js'
import { definitionColumnNames } from './table-columns.js'
import { tableObjectsSql } from './table-objects-sql.js'
import { dropGuardSql, type DropTableOptions, readDropTableOptions } from './drop-guard-sql.js'

/**
 * The DDL of one bitemporal table, as one string of statements. It needs the
 * library's own SQL installed first ({@link install}).
 *
 * @example
 * ```ts
 * createTableSql(defineTable({
 *   name: 'tax_rates',
 *   key: { state_id: 'integer', tax_type: 'text' },
 *   values: { rate: 'numeric not null' },
 * }))
 * ```
 * gives
 * ```sql
 * create table "tax_rates" (
 *   "state_id" integer not null,
 *   "tax_type" text not null,
 *   "rate" numeric not null,
 *   "effective" daterange not null,
 *   "system" tsrange not null default tsrange(bitemporal.system_time(), null, '[)'),
 *   constraint "tax_rates_effective_valid" check (not isempty("effective") and not lower_inf("effective") and isfinite(lower("effective")) and (upper_inf("effective") or isfinite(upper("effective"))) and lower_inc("effective") and not upper_inc("effective")),
 *   constraint "tax_rates_system_valid" check (not isempty("system") and lower_inc("system") and not lower_inf("system")),
 *   constraint "tax_rates_no_overlap" exclude using gist ("state_id" with =, "tax_type" with =, "effective" with &&, "system" with &&)
 * );
 * create index "tax_rates_current" on "tax_rates" ("state_id", "tax_type", lower("effective")) where upper_inf("system");
 * create index "tax_rates_asserted" on "tax_rates" (lower("system"));
 * create index "tax_rates_retracted" on "tax_rates" (upper("system")) where not upper_inf("system");
 * create trigger "tax_rates_check_inserted_system" before insert on "tax_rates"
 *   for each row when (NEW."system" is distinct from tsrange((now() at time zone 'UTC'), null, '[)')
 *     or not row(NEW."state_id", NEW."tax_type", NEW."rate", NEW."effective", NEW."system") *= NEW)
 *   execute function bitemporal.check_inserted_system('system');
 * create trigger "tax_rates_guard_history" before update on "tax_rates"
 *   for each row when (not (upper_inf(OLD."system") and lower(OLD."system") < (now() at time zone 'UTC')
 *     and NEW."system" = tsrange(lower(OLD."system"), (now() at time zone 'UTC'), '[)')
 *     and row(OLD."state_id", OLD."tax_type", OLD."rate", OLD."effective", NEW."system") *= NEW
 *     and row(NEW."state_id", NEW."tax_type", NEW."rate", NEW."effective", OLD."system") *= OLD))
 *   execute function bitemporal.guard_history('system');
 * create trigger "tax_rates_guard_delete" before delete on "tax_rates"
 *   for each row execute function bitemporal.guard_history('system');
 * create trigger "tax_rates_guard_truncate" before truncate on "tax_rates"
 *   for each statement execute function bitemporal.guard_history('system');
 * create or replace function "tax_rates_changed_after"(integer, text, timestamp, daterange, bigint, tid[]) returns boolean …;  -- see changedAfterSql
 * insert into bitemporal.versioned_table (relation, key_columns, value_columns, effective_column, system_column, definition)
 *   values ('"tax_rates"', array['state_id', 'tax_type'], array['rate'], 'effective', 'system', '{"format":1,…}'::jsonb) on conflict …;  -- see registerTableSql
 * ```
 *
 * Everything after the indexes comes from `tableObjectsSql`, the one source
 * `upgradeTable` and `alterTable` use too.
 *
 * With `effective: 'timestamp'` the valid-time column is a `tstzrange`;
 * with `audit: true` the table also has `recorded_by text not null`,
 * `recorded_reason`, `closed_by` and `closed_reason`, and the history guard
 * lets a close fill in the last two.
 *
 * `effective` must have a finite lower bound (an entity's validity starts
 * somewhere); an unbounded upper bound means "until further notice". The
 * exclusion constraint is invariant 1 of docs/semantics.md; the GiST index behind it
 * also serves as-of lookups by key at any valid and system instant, and the
 * partial btree index of current rows by key and effective start serves
 * current-knowledge lookups: a descent to the last version starting on or
 * before the date, however long the timeline. The two btree indexes on the
 * ends of `system` serve `changes` over all keys: what was asserted (a row
 * inserted) and what was retracted (a row closed) in a system-time interval.
 * The second is partial, so inserting a current row does not touch it.
 *
 * With `entity: true` the entity table comes first ({@link entityTableSql})
 * and the versions table gets a foreign key to it; with `references`, the
 * references' triggers and index come last ({@link referencesSql}). See
 * docs/references.md.
 */
export function createTableSql(definition: TableDefinition): string {
  assertDefinition(definition, 'createTableSql')
  const names = tableSqlNames(definition)
  const effective = quoteIdentifier(definition.effectiveColumn)
  const system = quoteIdentifier(definition.systemColumn)
  const keys = definition.keyColumns.map((c) => quoteIdentifier(c.name))
  const columns = [
    ...definition.keyColumns.map((c) => `${quoteIdentifier(c.name)} ${columnTypeSql(c, true)}`),
    ...definition.valueColumns.map((c) => `${quoteIdentifier(c.name)} ${columnTypeSql(c)}`),
    ...(definition.audit
      ? [
          `${quoteIdentifier(AUDIT_COLUMNS.recordedBy)} text not null`,
          `${quoteIdentifier(AUDIT_COLUMNS.recordedReason)} text`,
          `${quoteIdentifier(AUDIT_COLUMNS.closedBy)} text`,
          `${quoteIdentifier(AUDIT_COLUMNS.closedReason)} text`,
        ]
      : []),
    `${effective} ${definition.validTime === 'date' ? 'daterange' : 'tstzrange'} not null`,
    `${system} tsrange not null default tsrange(bitemporal.system_time(), null, '[)')`,
    `constraint ${names.effectiveNotEmpty} check (not isempty(${effective}) and not lower_inf(${effective}) and isfinite(lower(${effective})) and (upper_inf(${effective}) or isfinite(upper(${effective}))) and lower_inc(${effective}) and not upper_inc(${effective}))`,
    `constraint ${names.systemNotEmpty} check (not isempty(${system}) and lower_inc(${system}) and not lower_inf(${system}))`,
    `constraint ${names.noOverlap} exclude using gist (${[...keys.map((k) => `${k} with =`), `${effective} with &&`, `${system} with &&`].join(', ')})`,
    ...(definition.entity ? [entityForeignKeySql(definition)] : []),
  ]
  return [
    ...(definition.entity ? [entityTableSql(definition)] : []),
    `create table ${names.table} (\n  ${columns.join(',\n  ')}\n);`,
    `create index ${names.currentIndex} on ${names.table} (${[...keys, `lower(${effective})`].join(', ')}) where upper_inf(${system});`,
    `create index ${names.assertedIndex} on ${names.table} (lower(${system}));`,
    `create index ${names.retractedIndex} on ${names.table} (upper(${system})) where not upper_inf(${system});`,
    ...tableObjectsSql(definition, definitionColumnNames(definition)),
    ...referencesSql(definition),
  ].join('\n')
}

/**
 * The DDL that undoes {@link createTableSql}, for a migration's `down`.
 *
 * Dropping a versions table destroys its history, so the DDL begins with a
 * guard ({@link dropGuardSql}): if the table (or its entity table) holds a
 * row, it raises SQLSTATE BT005 (`HistoryWouldBeLostError`) and nothing is
 * dropped, unless the transaction has `bitemporal.discard_history` on
 * (`bitemporal migrate down --discard-history` sets it). The guard is part
 * of the SQL, so a `.sql` migration that holds this text, or a psql session
 * that runs it, refuses too. With `{ discardHistory: true }` the guard is
 * left out: the DDL drops whatever the table holds.
 *
 * @example
 * ```ts
 * dropTableSql(taxRates)
 * // do $guard$ … raise exception using errcode = 'BT005' … $guard$;
 * // delete from bitemporal.versioned_table where relation = '"tax_rates"'::regclass;
 * // drop table "tax_rates";
 * // drop function "tax_rates_changed_after"(…);
 * dropTableSql(taxRates, { discardHistory: true }) // the same without the guard
 * ```
 */
export function dropTableSql(definition: TableDefinition, options?: DropTableOptions): string {
  assertDefinition(definition, 'dropTableSql')
  const { discardHistory = false } = readDropTableOptions(options, 'dropTableSql')
  const names = tableSqlNames(definition)
  return [
    ...(discardHistory ? [] : [dropGuardSql(definition)]),
    `delete from bitemporal.versioned_table where relation = ${names.tableLiteral}::regclass;`,
    ...dropReferencesSql(definition),
    `drop table ${names.table};`,
    dropChangedAfterSql(definition),
    ...(definition.entity ? [dropEntityTableSql(definition)] : []),
  ].join('\n')
}
