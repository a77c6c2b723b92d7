import { entityTableNames } from '../../schema/entity-table-sql.js'
import type { WriteStatementParts } from './write-statement-parts.js'

/**
 * `entity_row`, on tables with an entity table: the key's entity row, if
 * this is its first version. In the same statement, so a write stays one
 * round trip; the versions' foreign key is checked at the statement's end,
 * when the row is there. Only when something was inserted: a write that
 * changes nothing leaves no entity behind.
 *
 * ```sql
 * entity_row as (
 *   insert into "tax_rates_entity" ("state_id", "tax_type")
 *   select $1::text::integer, $2::text
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
