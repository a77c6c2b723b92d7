import { InvalidInputError } from '../errors/errors.js'
import type { TableSqlContext } from '../statement/table-sql-context.js'
import { isPlainObject } from '../values/is-plain-object.js'
import { unknownKeys } from '../values/unknown-keys.js'

const tableName = (context: TableSqlContext): string => context.definition.name

/** The key as parameters `$1 … $k`: exactly the key columns, none null. */
export function encodeKey(context: TableSqlContext, key: unknown): (string | null)[] {
  const names = context.keys.map((k) => k.column.name)
  if (!isPlainObject(key)) {
    throw new InvalidInputError(`the key of "${tableName(context)}" must be an object { ${names.join(', ')} }`)
  }
  const unknown = unknownKeys(key, names)
  if (unknown.length > 0) {
    throw new InvalidInputError(
      `${unknown.join(', ')} ${unknown.length === 1 ? 'is not a key column' : 'are not key columns'} of "${tableName(context)}"; the key is { ${names.join(', ')} }`,
    )
  }
  return context.keys.map((codec) => {
    const value = key[codec.column.name]
    if (value === undefined || value === null) {
      throw new InvalidInputError(`key column "${codec.column.name}" of "${tableName(context)}" is missing`)
    }
    return codec.encode(value, tableName(context))
  })
}
