import type { AnyKysely } from '../any-kysely.js'
import { DefinitionMismatchError } from '../errors/schema-change-errors.js'
import { assertDefinition } from './assert-definition.js'
import type { TableDefinition } from './define-table.js'
import { definitionColumnNames, readTableColumns, type TableColumn } from './table-columns.js'
import { dropTableObjectsSql, tableObjectsSql } from './table-objects-sql.js'

/**
 * The DDL that regenerates the per-table objects of a versions table from
 * its definition and its columns as the catalog holds them, without touching
 * its rows: the four guard triggers, `<table>_changed_after` and the
 * registry row (`tableObjectsSql`, the same source as `createTable`'s). It
 * reads the catalog, so it takes `db`: the history guard lists the table's
 * columns in their physical order, which only the catalog knows once an
 * `ALTER TABLE` has added one (decision 104).
 *
 * Two uses. After a plain `ALTER TABLE … ADD COLUMN` (or `RENAME COLUMN`)
 * from another migration tool, writes that close a version fail with
 * `TableNeedsUpgradeError` until this has run with the changed definition.
 * And a table created by an earlier version of the library gets this one's
 * objects: the write statements call `<table>_changed_after` with the row
 * versions they found (decision 73), which locks the key's current versions
 * under REPEATABLE READ and SERIALIZABLE (decision 77), and the two row
 * triggers spell out the system time in their WHEN clauses (decision 74).
 * Safe to run on a table that is already current.
 *
 * The definition must name exactly the table's columns (key, values, audit
 * columns, `effective`, `system`), in any order; otherwise it throws
 * `DefinitionMismatchError` listing every difference, and sends nothing
 * but the catalog read. To change the table itself, use `alterTable`.
 *
 * @example
 * ```ts
 * // migrations/20261207120000_prices_currency.ts: after `alter table prices add column currency text`
 * import { upgradeTable } from 'bitemporal'
 * export const up = (db) => upgradeTable(db, prices) // prices' definition now has currency
 * console.log(await upgradeTableSql(db, prices))     // the DDL, to review
 * ```
 * gives
 * ```sql
 * drop trigger if exists "prices_check_inserted_system" on "prices";
 * drop trigger if exists "prices_guard_history" on "prices";
 * drop trigger if exists "prices_guard_delete" on "prices";
 * drop trigger if exists "prices_guard_truncate" on "prices";
 * drop function if exists "prices_changed_after"(text, timestamp, daterange, bigint);
 * create trigger "prices_check_inserted_system" before insert on "prices" …;
 * create trigger "prices_guard_history" before update on "prices" … row(OLD."sku", OLD."price", OLD."qty", OLD."legacy_code", OLD."effective", NEW."system", OLD."currency") *= NEW …;
 * create trigger "prices_guard_delete" …; create trigger "prices_guard_truncate" …;
 * create or replace function "prices_changed_after"(text, timestamp, daterange, bigint, tid[]) …;
 * insert into bitemporal.versioned_table … on conflict (relation) do update …;
 * ```
 *
 * @throws {DefinitionMismatchError} when the definition and the table's columns differ.
 */
export async function upgradeTableSql(db: AnyKysely, definition: TableDefinition): Promise<string> {
  assertDefinition(definition, 'upgradeTableSql')
  const columns = await readTableColumns(db, definition)
  assertSameColumns(definition, columns, 'upgradeTable')
  return [...dropTableObjectsSql(definition), ...tableObjectsSql(definition, columns.map((column) => column.name))].join('\n')
}

/**
 * Throws `DefinitionMismatchError` naming every column that is in the
 * table but not the definition or the other way round; order does not
 * count. No table at all is a mismatch too.
 */
export function assertSameColumns(definition: TableDefinition, columns: readonly TableColumn[], operation: string): void {
  const expected = definitionColumnNames(definition)
  const actual = columns.map((column) => column.name)
  const differences =
    actual.length === 0
      ? [`there is no table ${definition.name} (createTable makes it)`]
      : [
          ...expected.filter((name) => !actual.includes(name)).map((name) => `column "${name}" is in the definition but not in the table`),
          ...actual.filter((name) => !expected.includes(name)).map((name) => `column "${name}" is in the table but not in the definition`),
        ]
  if (differences.length === 0) return
  throw new DefinitionMismatchError(
    `${operation} ${definition.name}: the definition does not describe the table's columns: ${differences.join('; ')}. ` +
      `${operation} regenerates what derives from the columns the table has; to change the columns, use alterTable(db, definition, options) instead (docs/schema.md), or correct the definition.`,
    { table: definition.name, differences },
  )
}
