import { entityTableNames } from '../../schema/entity-table-sql.js'
import type { WriteStatementParts } from './write-statement-parts.js'

/**
 * `entity_row`, on tables with an entity table: the key's entity row, if
 * this is its first version. In the same statement, so a write stays one
 * round trip; the versions' foreign key is checked at the statement's end,
 * when the row is there. Only when something was inserted: a write that
 * changes nothing leaves no entity behind.
 *
 * For the contracts table of test/golden/contracts/ (one key column):
 *
 * ```sql
 * entity_row as (
 *   insert into "contracts_entity" ("contract_id")
 *   select $1::text::integer
 *   where exists (select 1 from inserted)
 *   on conflict do nothing
 * )
 * ```
 */
export function entityRowStep(parts: WriteStatementParts): string | undefined {
  const definition = parts.context.definition
  if (!definition.entity) return undefined
  return `entity_row as (
  insert into ${entityTableNames(definition).table} (${parts.keyColumns.join(', ')})
  select ${parts.keyParameters.join(', ')}
  where exists (select 1 from inserted)
  on conflict do nothing
)`
}
