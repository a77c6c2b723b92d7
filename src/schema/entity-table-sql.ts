import { InvalidInputError } from '../errors/errors.js'
import { columnTypeSql } from './column-type.js'
import { ENTITY_ID_COLUMN, type TableDefinition } from './define-table.js'
import { quoteIdentifier, quoteQualifiedName } from './identifier.js'

/** The names of an entity table and of the foreign key the versions table gets. */
export interface EntityTableNames {
  /** `"billing"."tax_rates_entity"`: same schema as the versions table. */
  readonly table: string
  /** `"tax_rates_entity_pkey"` */
  readonly primaryKey: string
  /** `"tax_rates_entity_fk"`: the versions table's foreign key to the entity table. */
  readonly foreignKey: string
}

const MAX_NAME = 63

/** Quoted names for the entity table of `definition` (whether or not it has `entity: true`). */
export function entityTableNames(definition: TableDefinition): EntityTableNames {
  const base = definition.table.name
  const derived = (suffix: string): string => {
    const name = `${base}_${suffix}`
    if (name.length > MAX_NAME) {
      throw new InvalidInputError(
        `table name "${base}" is too long for entity: true: "${name}" would exceed PostgreSQL's ${MAX_NAME} characters`,
      )
    }
    return name
  }
  return Object.freeze({
    table: quoteQualifiedName({ schema: definition.table.schema, name: derived('entity') }),
    primaryKey: quoteIdentifier(derived('entity_pkey')),
    foreignKey: quoteIdentifier(derived('entity_fk')),
  })
}

/**
 * The DDL of the entity table of a table with `entity: true`, run by
 * `createTableSql` before the versions table is created (the foreign key
 * is part of the versions table's DDL). One row per key ever written,
 * never deleted by the library: the thing itself, which plain tables
 * (orders, invoices) can reference with an ordinary foreign key while its
 * versions come and go.
 *
 * A single-column key is the entity's stable identifier already. A
 * composite key also gets a surrogate `id bigint`, generated and unique,
 * for tables that would rather reference one column.
 *
 * @example
 * ```ts
 * entityTableSql(defineTable({ name: 'tax_rates', key: { state_id: 'integer', tax_type: 'text' }, values: {}, entity: true }))
 * ```
 * gives
 * ```sql
 * create table "tax_rates_entity" (
 *   "id" bigint generated always as identity unique,
 *   "state_id" integer not null,
 *   "tax_type" text not null,
 *   constraint "tax_rates_entity_pkey" primary key ("state_id", "tax_type")
 * );
 * ```
 * and the versions table gets
 * `constraint "tax_rates_entity_fk" foreign key ("state_id", "tax_type") references "tax_rates_entity" ("state_id", "tax_type")`.
 */
export function entityTableSql(definition: TableDefinition): string {
  const names = entityTableNames(definition)
  const keys = definition.keyColumns.map((c) => quoteIdentifier(c.name))
  const columns = [
    ...(definition.keyColumns.length > 1 ? [`${quoteIdentifier(ENTITY_ID_COLUMN)} bigint generated always as identity unique`] : []),
    ...definition.keyColumns.map((c) => `${quoteIdentifier(c.name)} ${columnTypeSql(c, true)}`),
    `constraint ${names.primaryKey} primary key (${keys.join(', ')})`,
  ]
  return `create table ${names.table} (\n  ${columns.join(',\n  ')}\n);`
}

/**
 * The versions table's foreign key to its entity table, as a table
 * constraint. Not deferrable: the write statement inserts the entity row in
 * the same statement, and a foreign key is checked at the statement's end.
 */
export function entityForeignKeySql(definition: TableDefinition): string {
  const names = entityTableNames(definition)
  const keys = definition.keyColumns.map((c) => quoteIdentifier(c.name)).join(', ')
  return `constraint ${names.foreignKey} foreign key (${keys}) references ${names.table} (${keys})`
}

/** Drops the entity table, after its versions table; fails while plain tables still reference it. */
export function dropEntityTableSql(definition: TableDefinition): string {
  return `drop table ${entityTableNames(definition).table};`
}
