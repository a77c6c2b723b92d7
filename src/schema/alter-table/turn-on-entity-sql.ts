import { InvalidInputError } from '../../errors/errors.js'
import type { TableDefinition } from '../define-table.js'
import { entityForeignKeySql, entityTableNames, entityTableSql } from '../entity-table-sql.js'
import { quoteIdentifier } from '../identifier.js'
import { tableSqlNames } from '../table-sql-names.js'

/**
 * The statements that turn `entity` on for an existing versions table that
 * was created without it and holds versions (docs/semantics.md §5a):
 *
 * 1. the entity table, as `createTable` makes it ({@link entityTableSql});
 * 2. one entity row per key the versions table holds: every key ever
 *    written, current, ended or corrected away alike, since an entity row
 *    stands for the thing, not for its current validity, and the library
 *    never deletes one. Keys are inserted in the order of their first
 *    version's system time, then by key, so a composite key's surrogate
 *    `id`s follow the order in which the keys were first written, as the
 *    repository's would have (it numbers a key on its first write);
 * 3. the versions table's foreign key to it ({@link entityForeignKeySql}),
 *    which PostgreSQL validates against every version.
 *
 * After these, the repository creates a key's entity row on the key's
 * first write, as on a table created with `entity: true`.
 *
 * @example
 * ```ts
 * turnOnEntitySql(defineTable({ name: 'prices', key: { sku: 'text' }, values: { net: 'numeric' }, entity: true }))
 * ```
 * gives
 * ```sql
 * create table "prices_entity" (
 *   "sku" text not null,
 *   constraint "prices_entity_pkey" primary key ("sku")
 * );
 * insert into "prices_entity" ("sku")
 *   select v."sku" from "prices" as v group by v."sku" order by min(lower(v."system")), v."sku";
 * alter table "prices" add constraint "prices_entity_fk" foreign key ("sku") references "prices_entity" ("sku");
 * ```
 */
export function turnOnEntitySql(definition: TableDefinition): string[] {
  if (!definition.entity) {
    throw new InvalidInputError(`turnOnEntitySql takes the definition with entity: true; "${definition.name}" has entity: false`)
  }
  const table = tableSqlNames(definition).table
  const entityTable = entityTableNames(definition).table
  const keys = definition.keyColumns.map((column) => quoteIdentifier(column.name))
  const versionKeys = keys.map((key) => `v.${key}`).join(', ')
  return [
    entityTableSql(definition),
    `insert into ${entityTable} (${keys.join(', ')})\n  select ${versionKeys} from ${table} as v group by ${versionKeys} order by min(lower(v.${quoteIdentifier(definition.systemColumn)})), ${versionKeys};`,
    `alter table ${table} add ${entityForeignKeySql(definition)};`,
  ]
}
