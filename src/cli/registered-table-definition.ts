import type { AnyKysely } from '../any-kysely.js'
import { InvalidInputError } from '../errors/errors.js'
import type { TableDefinition } from '../schema/define-table.js'
import { readRegisteredDefinition } from '../schema/read-registered-definition.js'
import { definitionFromRegistry, registeredDefinition } from '../schema/registered-definition.js'
import type { RegisteredTable } from './registered-tables.js'

/**
 * The definition the registry holds for `table` ({@link readRegisteredDefinition}):
 * what `createTable`, `upgradeTable` or `alterTable` was given, not a guess
 * from the table's column names. It is named where the table is now,
 * schema-qualified, so that the CLI's statements reach it whatever the
 * session's search_path and whatever name the migration used.
 *
 * @throws {InvalidInputError} when the table is gone, or its definition
 *   cannot be read (a table created before the registry held definitions and
 *   altered since).
 */
export async function registeredTableDefinition(db: AnyKysely, table: RegisteredTable): Promise<TableDefinition> {
  const relation = table.relation
  if (relation === undefined) throw new InvalidInputError(`the registry names table OID ${table.oid}, which no longer exists`)
  const stored = await readRegisteredDefinition(db, table.oid)
  return definitionFromRegistry({ ...registeredDefinition(stored), name: `${relation.schema}.${relation.name}` }, table.displayName)
}
