import type { TableDefinition } from './define-table.js'
import { tableSqlNames } from './table-sql-names.js'

/**
 * The statement that records a table in the registry
 * `bitemporal.versioned_table`, or brings its row up to `definition`:
 * `createTable`, `upgradeTable` and `alterTable` all end with it, so the
 * registry says what the table is now, whichever of them ran last.
 *
 * @example
 * ```sql
 * insert into bitemporal.versioned_table (relation, key_columns, value_columns, effective_column, system_column)
 *   values ('"tax_rates"', array['state_id', 'tax_type'], array['rate'], 'effective', 'system')
 *   on conflict (relation) do update set key_columns = excluded.key_columns, value_columns = excluded.value_columns,
 *     effective_column = excluded.effective_column, system_column = excluded.system_column;
 * ```
 */
export function registerTableSql(definition: TableDefinition): string {
  const names = tableSqlNames(definition)
  const literalArray = (values: readonly string[]): string =>
    values.length === 0 ? `'{}'::text[]` : `array[${values.map((value) => `'${value}'`).join(', ')}]`
  return (
    `insert into bitemporal.versioned_table (relation, key_columns, value_columns, effective_column, system_column)\n` +
    `  values (${names.tableLiteral}, ${literalArray(definition.keyColumns.map((column) => column.name))}, ${literalArray(definition.valueColumns.map((column) => column.name))}, '${definition.effectiveColumn}', '${definition.systemColumn}')\n` +
    `  on conflict (relation) do update set key_columns = excluded.key_columns, value_columns = excluded.value_columns,\n` +
    `    effective_column = excluded.effective_column, system_column = excluded.system_column;`
  )
}
