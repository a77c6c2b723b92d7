import type { AnyKysely } from '../../any-kysely.js'
import { SchemaChangeRefusedError } from '../../errors/schema-change-errors.js'
import { assertDefinition } from '../assert-definition.js'
import { columnTypeSql } from '../column-type.js'
import { AUDIT_COLUMNS, type TableDefinition } from '../define-table.js'
import { quoteIdentifier } from '../identifier.js'
import { dropTableObjectsSql, tableObjectsSql } from '../table-objects-sql.js'
import { tableSqlNames } from '../table-sql-names.js'
import { type AlterTableOptions, readAlterTableOptions } from './alter-table-options.js'
import { readTableState, type TableState } from './read-table-state.js'
import { dropColumnSql } from './drop-column-sql.js'
import { describeSchemaChanges, type SchemaChange } from './schema-changes.js'
import { turnOnAuditSql } from './turn-on-audit-sql.js'
import { turnOnEntitySql } from './turn-on-entity-sql.js'
import { turnOnReferencesSql } from './turn-on-references-sql.js'

/**
 * The DDL that brings an existing versions table to `definition`, as
 * `alterTable` sends it (in one transaction): reads the table from the
 * catalog, describes each difference ({@link describeSchemaChanges}), and
 * returns, in order, the drops of the derived triggers, the `ALTER TABLE`
 * steps (renames, widenings, added columns), and the derived objects and
 * registry row made again (`tableObjectsSql`). Sends only reads (and a
 * temporary view it drops). A refused change throws
 * `SchemaChangeRefusedError` listing every refusal; bad options throw
 * `InvalidInputError` before anything is sent. See docs/schema.md.
 *
 * @example
 * ```ts
 * // the table: sku text; price numeric(10,2) not null, qty integer, legacy_code text
 * const prices = defineTable({
 *   name: 'prices',
 *   key: { sku: 'text' },
 *   values: { amount: 'numeric(12,2) not null', qty: 'bigint', legacy_code: 'text', currency: "text default 'EUR'" },
 * })
 * console.log(await alterTableSql(db, prices, { rename: { price: 'amount' }, defaults: { currency: 'every-version' } }))
 * ```
 * gives
 * ```sql
 * drop trigger if exists "prices_check_inserted_system" on "prices"; …
 * alter table "prices" rename column "price" to "amount";
 * alter table "prices" alter column "amount" type numeric(12,2);
 * alter table "prices" alter column "qty" type bigint;
 * alter table "prices" add column "currency" text default 'EUR';
 * create trigger "prices_check_inserted_system" before insert on "prices" …; …
 * insert into bitemporal.versioned_table … on conflict (relation) do update …;
 * ```
 *
 * @throws {SchemaChangeRefusedError} when a difference would lose or alter recorded history, or is not supported.
 */
export async function alterTableSql(db: AnyKysely, definition: TableDefinition, options?: AlterTableOptions): Promise<string> {
  assertDefinition(definition, 'alterTableSql')
  const read = readAlterTableOptions(options, 'alterTableSql', definition.name)
  const state = await readTableState(db, definition)
  return alterTableStatements(definition, state, describeSchemaChanges(state, definition, read), read).join('\n')
}

/**
 * The statements for `changes`, once none is refused: the named steps
 * below between the drop and the re-creation of the derived objects.
 */
export function alterTableStatements(
  definition: TableDefinition,
  state: TableState,
  changes: readonly SchemaChange[],
  audit: { readonly actor?: string | undefined; readonly reason?: string | undefined } = {},
): string[] {
  const refusals = changes.flatMap((change) => (change.kind === 'refuse' ? [{ change: change.change, column: change.column, reason: change.reason }] : []))
  if (refusals.length > 0) {
    throw new SchemaChangeRefusedError(
      `alterTable ${definition.name}: refused, nothing was changed: ${refusals.map((refusal) => refusal.reason).join('; ')}`,
      { table: definition.name, refusals },
    )
  }
  const table = tableSqlNames(definition).table
  const renamed = new Map<string, string>()
  const steps: string[] = []
  for (const change of changes) {
    if (change.kind === 'rename') {
      renamed.set(change.column, change.to)
      steps.push(renameColumnSql(table, change.column, change.to))
    }
  }
  const added: string[] = []
  const dropped = new Set<string>()
  for (const change of changes) {
    if (change.kind === 'widen') steps.push(widenColumnSql(table, change.column, change.to))
    if (change.kind === 'drop') {
      dropped.add(change.column)
      steps.push(...dropColumnSql(definition, change.column, { actor: audit.actor ?? '', reason: audit.reason ?? '' }))
    }
    if (change.kind === 'add') {
      added.push(change.column)
      steps.push(...(change.reading === 'current-versions' ? addColumnForCorrectionSql(table, change.definition) : [addColumnSql(table, change.definition)]))
    }
  }
  // After the columns, what turning a feature on adds (docs/schema.md, "Turning on audit, entity, references").
  for (const change of changes) {
    if (change.kind === 'turn-on-audit') {
      added.push(...Object.values(AUDIT_COLUMNS))
      steps.push(...turnOnAuditSql(definition))
    }
    if (change.kind === 'turn-on-entity') steps.push(...turnOnEntitySql(definition))
    if (change.kind === 'turn-on-references') steps.push(...turnOnReferencesSql(definition, change.added))
  }
  // Renamed columns keep their place; added ones come last, as PostgreSQL puts them.
  const physicalColumns = [...state.columns.map((column) => renamed.get(column.name) ?? column.name).filter((name) => !dropped.has(name)), ...added]
  return [...dropTableObjectsSql(definition), ...steps, ...tableObjectsSql(definition, physicalColumns)]
}

/** `alter table "prices" rename column "price" to "amount";` The versions keep their values under the new name. */
export function renameColumnSql(table: string, from: string, to: string): string {
  return `alter table ${table} rename column ${quoteIdentifier(from)} to ${quoteIdentifier(to)};`
}

/**
 * `alter table "prices" alter column "qty" type bigint;` Only for a lossless
 * widening: every value keeps its text. `integer` → `bigint` rewrites the
 * table under its ACCESS EXCLUSIVE lock; `varchar(n)` → `text` or a larger
 * `n`, and `numeric(p,s)` → `numeric`, do not.
 */
export function widenColumnSql(table: string, column: string, type: string): string {
  return `alter table ${table} alter column ${quoteIdentifier(column)} type ${type};`
}

/**
 * `alter table "prices" add column "currency" text default 'EUR';` With a
 * default, PostgreSQL gives the default to every row already there (without
 * rewriting the table, for a constant): the `'every-version'` reading.
 */
export function addColumnSql(table: string, column: TableDefinition['valueColumns'][number]): string {
  return `alter table ${table} add column ${quoteIdentifier(column.name)} ${columnTypeSql(column)};`
}

/**
 * The `'current-versions'` reading of an added default: the column is added
 * without it, so every version already recorded reads `null`, and the
 * default is then set for the rows inserted from now on; `alterTable` runs
 * `correctCurrentVersions` once the transaction has committed.
 *
 * ```sql
 * alter table "prices" add column "currency" text;
 * alter table "prices" alter column "currency" set default 'USD';
 * ```
 */
export function addColumnForCorrectionSql(table: string, column: TableDefinition['valueColumns'][number]): string[] {
  const name = quoteIdentifier(column.name)
  return [`alter table ${table} add column ${name} ${column.type};`, `alter table ${table} alter column ${name} set default ${column.default ?? 'null'};`]
}
