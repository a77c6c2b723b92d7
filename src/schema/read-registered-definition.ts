import { sql } from 'kysely'
import type { AnyKysely } from '../any-kysely.js'
import { InvalidInputError, NotFoundError } from '../errors/errors.js'
import { catalogTableDefinition } from './catalog-table-definition.js'
import type { TableDefinition } from './define-table.js'
import { definitionFromRegistry, registeredDefinition } from './registered-definition.js'

interface RegistryRow {
  readonly oid: string
  readonly display_name: string
  readonly definition: unknown
  /** JSON arrays. */
  readonly key_columns: string
  readonly value_columns: string
  readonly effective_column: string
  readonly system_column: string
  readonly may_update: boolean
}

/**
 * The definition the database holds for a registered bitemporal table:
 * what `createTable`, `upgradeTable` or `alterTable` last recorded in
 * `bitemporal.versioned_table.definition`. `relation` is a table name as SQL
 * resolves it (`'tax_rates'`, `'billing.tax_rates'`) or the table's OID.
 *
 * A table created before the registry held definitions has none there: its
 * definition is read from the catalog ({@link catalogTableDefinition}) and
 * stored in its row, when the role may update the registry (a reader role
 * gets the same definition, read again next time). The store only fills an
 * empty row, so it never overwrites what a migration wrote meanwhile.
 *
 * @example
 * ```ts
 * const definition = await readRegisteredDefinition(db, 'billing.tax_rates')
 * // select … definition from bitemporal.versioned_table where relation = to_regclass('billing.tax_rates');
 * // and for a table created before: the catalog queries, then
 * // update bitemporal.versioned_table set definition = $1::jsonb where relation = $2::oid and definition is null;
 * ```
 *
 * @throws {NotFoundError} when no registered table has that name or OID.
 * @throws {InvalidInputError} when the stored definition cannot be read, or
 *   the catalog no longer matches the registry row of a table created before.
 */
export async function readRegisteredDefinition(db: AnyKysely, relation: string): Promise<TableDefinition> {
  return readDefinition(db, relation, new Set())
}

async function readDefinition(db: AnyKysely, relation: string, reading: Set<string>): Promise<TableDefinition> {
  // An OID compares as one; a name goes through to_regclass, which answers null rather than failing for a table that does not exist.
  const target = /^\d+$/.test(relation) ? sql`${relation}::oid` : sql`to_regclass(${relation})::oid`
  const { rows } = await sql<RegistryRow>`
    select r.relation::oid::text as oid, r.relation::text as display_name, r.definition,
      array_to_json(r.key_columns)::text as key_columns, array_to_json(r.value_columns)::text as value_columns,
      r.effective_column, r.system_column,
      pg_catalog.has_table_privilege('bitemporal.versioned_table', 'UPDATE') as may_update
    from bitemporal.versioned_table r
    where r.relation = ${target}`.execute(db)
  const row = rows[0]
  if (row === undefined) throw new NotFoundError(`${relation} is not a registered bitemporal table (createTable registers one)`)
  if (row.definition !== null) return definitionFromRegistry(row.definition, row.display_name)
  if (reading.has(row.oid)) throw new InvalidInputError(`the references of ${row.display_name} lead back to it`)
  reading.add(row.oid)
  const definition = await catalogTableDefinition(
    db,
    {
      oid: row.oid,
      keyColumns: JSON.parse(row.key_columns) as string[],
      valueColumns: JSON.parse(row.value_columns) as string[],
      effectiveColumn: row.effective_column,
      systemColumn: row.system_column,
    },
    (parent) => readDefinition(db, parent, reading),
  )
  if (row.may_update) {
    await sql`
      update bitemporal.versioned_table set definition = ${JSON.stringify(registeredDefinition(definition))}::jsonb
      where relation = ${row.oid}::oid and definition is null`.execute(db)
  }
  return definition
}
