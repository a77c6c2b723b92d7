import type { TableDefinition } from './define-table.js'
import { quoteLiteral } from './identifier.js'
import { registeredDefinition } from './registered-definition.js'
import { tableSqlNames } from './table-sql-names.js'

/**
 * The statement that records a table in the registry
 * `bitemporal.versioned_table`, or brings its row up to `definition`:
 * `createTable`, `upgradeTable` and `alterTable` all end with it, so the
 * registry says what the table is now, whichever of them ran last. The row
 * holds the whole definition in the registry's JSON form
 * ({@link registeredDefinition}), besides the column lists that `erase` and
 * the privilege functions read.
 *
 * The DDL is one string of statements, so the definition travels as a
 * string literal, its quotes doubled ({@link quoteLiteral}): a default such
 * as `'it''s'` stays inside the literal whatever it holds.
 *
 * @example
 * ```sql
 * insert into bitemporal.versioned_table (relation, key_columns, value_columns, effective_column, system_column, definition)
 *   values ('"tax_rates"', array['state_id', 'tax_type'], array['rate'], 'effective', 'system',
 *     '{"format":1,"name":"tax_rates","key":[{"name":"state_id","type":"integer"},{"name":"tax_type","type":"text"}],"values":[{"name":"rate","type":"numeric not null"}],…}'::jsonb)
 *   on conflict (relation) do update set key_columns = excluded.key_columns, value_columns = excluded.value_columns,
 *     effective_column = excluded.effective_column, system_column = excluded.system_column, definition = excluded.definition;
 * ```
 */
export function registerTableSql(definition: TableDefinition): string {
  const names = tableSqlNames(definition)
  const literalArray = (values: readonly string[]): string => (values.length === 0 ? `'{}'::text[]` : `array[${values.map(quoteLiteral).join(', ')}]`)
  const json = `${quoteLiteral(JSON.stringify(registeredDefinition(definition)))}::jsonb`
  const keys = literalArray(definition.keyColumns.map((column) => column.name))
  const values = literalArray(definition.valueColumns.map((column) => column.name))
  return (
    `insert into bitemporal.versioned_table (relation, key_columns, value_columns, effective_column, system_column, definition)\n` +
    `  values (${names.tableLiteral}, ${keys}, ${values}, ${quoteLiteral(definition.effectiveColumn)}, ${quoteLiteral(definition.systemColumn)},\n` +
    `    ${json})\n` +
    `  on conflict (relation) do update set key_columns = excluded.key_columns, value_columns = excluded.value_columns,\n` +
    `    effective_column = excluded.effective_column, system_column = excluded.system_column, definition = excluded.definition;`
  )
}
