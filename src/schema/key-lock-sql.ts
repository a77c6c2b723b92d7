import type { TableDefinition } from './define-table.js'
import { tableSqlNames } from './table-sql-names.js'

/**
 * The number of a key's transaction-level advisory lock, from SQL
 * expressions of the key's values: the write statements pass their typed
 * parameters, the correction of current versions
 * (`correctCurrentVersions`) the key columns of the rows it corrects. Both
 * must get the same number for the same key, or they would not exclude each
 * other (docs/semantics.md §7 "The key lock"), so there is one builder.
 *
 * Equal keys must get equal numbers however they are spelled and whatever
 * the session's settings (decision 80): the key is hashed with its types'
 * own hash functions, which agree with `=` (`1.0` and `1.00`, one instant in
 * two time zones), together with the table's oid, which the statement
 * resolves as it resolves the table it writes.
 *
 * @example
 * ```ts
 * keyLockSql(taxRates, [{ expression: '$1::text::integer', parameterType: 'integer' }, { expression: '$2::text', parameterType: 'text' }])
 * // hash_record_extended(row('"tax_rates"'::regclass::oid, $1::text::integer, $2::text), 0)
 * ```
 */
export function keyLockSql(definition: TableDefinition, keys: readonly KeyLockPart[]): string {
  const parts = keys.map((key) => hashableKeySql(key.expression, key.parameterType))
  return `hash_record_extended(row(${tableSqlNames(definition).tableLiteral}::regclass::oid, ${parts.join(', ')}), 0)`
}

/** One key column's value in SQL, and the type a parameter of it is cast to (`parameterTypeOf`). */
export interface KeyLockPart {
  readonly expression: string
  readonly parameterType: string
}

// Types that can key a table (btree_gist covers them) but have no hash
// function, given as a value of one that does and is equal exactly when they
// are: a bit string's text is canonical; money compares as its amount.
function hashableKeySql(expression: string, parameterType: string): string {
  if (parameterType === 'varbit') return `${expression}::text`
  if (parameterType === 'money') return `${expression}::numeric`
  return expression
}
