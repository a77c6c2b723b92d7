import { sql } from 'kysely'
import type { AnyKysely } from '../../any-kysely.js'
import { AUDIT_COLUMNS, type ColumnDefinition, type TableDefinition } from '../define-table.js'
import { entityTableNames } from '../entity-table-sql.js'
import { quoteIdentifier } from '../identifier.js'
import { readTableColumns, type TableColumn } from '../table-columns.js'
import { tableSqlNames } from '../table-sql-names.js'

/** A versions table as the catalog holds it, for {@link describeSchemaChanges}. */
export interface TableState {
  /** Its columns in physical order. Empty when there is no such table. */
  readonly columns: readonly TableColumn[]
  /** The key columns, read from the exclusion constraint that forbids overlapping versions. */
  readonly keyColumns: readonly string[]
  /** Whether it holds a row: a default or a `not null` column then needs a choice. */
  readonly hasRows: boolean
  readonly audit: boolean
  readonly entity: boolean
  /** How many temporal references it has (its constraint triggers `<table>_reference_<n>`). */
  readonly references: number
  /** The definition's key and value column types as PostgreSQL spells them (`format_type`), by column name. */
  readonly definitionTypes: ReadonlyMap<string, string>
}

// CREATE TABLE shorthands that are not types a cast knows.
const SERIAL_TYPES: Readonly<Record<string, string>> = { smallserial: 'smallint', serial2: 'smallint', serial: 'integer', serial4: 'integer', bigserial: 'bigint', serial8: 'bigint' }

/**
 * Reads what {@link describeSchemaChanges} compares: the table's columns,
 * key, rows, audit columns, entity table and references, and the
 * definition's types spelled as the catalog spells them. Sends only reads,
 * and one temporary view that it drops again.
 */
export async function readTableState(db: AnyKysely, definition: TableDefinition): Promise<TableState> {
  const names = tableSqlNames(definition)
  const columns = await readTableColumns(db, definition)
  if (columns.length === 0) {
    return { columns, keyColumns: [], hasRows: false, audit: false, entity: false, references: 0, definitionTypes: new Map() }
  }
  const [key, facts, definitionTypes] = [
    await sql<{ name: string }>`
      select a.attname as name
      from pg_catalog.pg_constraint c cross join unnest(c.conkey) with ordinality k(n, o)
        join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n
      where c.conrelid = ${names.table}::regclass and c.conname = ${names.noOverlap.slice(1, -1)} order by k.o`.execute(db),
    await sql<{ has_rows: boolean; entity: boolean; reference_count: number }>`
      select exists (select from ${sql.raw(names.table)}) as has_rows,
        pg_catalog.to_regclass(${entityTableNames(definition).table}) is not null as entity,
        (select count(*)::int from pg_catalog.pg_trigger t
          where t.tgrelid = ${names.table}::regclass and t.tgname ~ ('^' || ${definition.table.name} || '_reference_[0-9]+$')) as reference_count`.execute(db),
    await formatTypes(db, [...definition.keyColumns, ...definition.valueColumns]),
  ]
  const [fact] = facts.rows
  return {
    columns,
    // The constraint lists the key, then effective and system.
    keyColumns: key.rows.map((row) => row.name).slice(0, -2),
    hasRows: fact?.has_rows ?? false,
    audit: columns.some((column) => column.name === AUDIT_COLUMNS.recordedBy),
    entity: fact?.entity ?? false,
    references: fact?.reference_count ?? 0,
    definitionTypes,
  }
}

/**
 * The definition's column types as `format_type` spells them
 * (`varchar(20)` → `character varying(20)`, `int4` → `integer`), by
 * creating a temporary view of typed nulls and reading its columns: the
 * one way PostgreSQL 15 parses a type with its size without a table.
 */
async function formatTypes(db: AnyKysely, columns: readonly ColumnDefinition[]): Promise<ReadonlyMap<string, string>> {
  const view = 'pg_temp.bitemporal_definition_types'
  const list = columns.map((column) => `null::${SERIAL_TYPES[column.type] ?? column.type} as ${quoteIdentifier(column.name)}`).join(', ')
  await sql.raw(`create or replace temporary view bitemporal_definition_types as select ${list}`).execute(db)
  const { rows } = await sql<{ name: string; type: string }>`
    select a.attname as name, pg_catalog.format_type(a.atttypid, a.atttypmod) as type from pg_catalog.pg_attribute a
    where a.attrelid = ${view}::regclass and a.attnum > 0 order by a.attnum`.execute(db)
  await sql.raw(`drop view ${view}`).execute(db)
  return new Map(rows.map((row) => [row.name, row.type]))
}
