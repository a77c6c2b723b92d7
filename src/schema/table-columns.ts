import { sql } from 'kysely'
import type { AnyKysely } from '../any-kysely.js'
import { AUDIT_COLUMNS, type TableDefinition } from './define-table.js'
import { tableSqlNames } from './table-sql-names.js'

/** One column of a table as the catalog holds it. */
export interface TableColumn {
  readonly name: string
  /** As `format_type` spells it: `numeric(10,2)`, `character varying(20)`, `integer`. */
  readonly type: string
  readonly notNull: boolean
  /** The default's expression as `pg_get_expr` spells it, or `null` for none. */
  readonly default: string | null
}

/**
 * The columns `createTable` makes for `definition`, in the order it makes
 * them: key, values, audit columns, `effective`, `system`. That is the
 * table's physical order, until an `ALTER TABLE` adds a column at the end.
 *
 * @example
 * ```ts
 * definitionColumnNames(taxRates) // ['state_id', 'tax_type', 'rate', 'effective', 'system']
 * ```
 */
export function definitionColumnNames(definition: TableDefinition): string[] {
  return [
    ...definition.keyColumns.map((column) => column.name),
    ...definition.valueColumns.map((column) => column.name),
    ...(definition.audit ? Object.values(AUDIT_COLUMNS) : []),
    definition.effectiveColumn,
    definition.systemColumn,
  ]
}

/**
 * The table's live columns in physical order (`pg_attribute.attnum`;
 * dropped columns left out), as the session resolves the definition's
 * table name. Empty when there is no such table.
 *
 * ```sql
 * select a.attname as name, pg_catalog.format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
 *   pg_catalog.pg_get_expr(d.adbin, d.adrelid) as default
 * from pg_catalog.pg_attribute a left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
 * where a.attrelid = pg_catalog.to_regclass($1) and a.attnum > 0 and not a.attisdropped
 * order by a.attnum   -- $1: the table's quoted name, '"tax_rates"'
 * ```
 */
export async function readTableColumns(db: AnyKysely, definition: TableDefinition): Promise<TableColumn[]> {
  const { rows } = await sql<{ name: string; type: string; not_null: boolean; default: string | null }>`
    select a.attname as name, pg_catalog.format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
      pg_catalog.pg_get_expr(d.adbin, d.adrelid) as default
    from pg_catalog.pg_attribute a left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where a.attrelid = pg_catalog.to_regclass(${tableSqlNames(definition).table}) and a.attnum > 0 and not a.attisdropped
    order by a.attnum`.execute(db)
  return rows.map((row) => Object.freeze({ name: row.name, type: row.type, notNull: row.not_null, default: row.default }))
}
