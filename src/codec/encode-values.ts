import { InvalidInputError } from '../errors/errors.js'
import type { TableSqlContext } from '../statement/table-sql-context.js'
import { isPlainObject } from '../values/is-plain-object.js'
import { unknownKeys } from '../values/unknown-keys.js'

const tableName = (context: TableSqlContext): string => context.definition.name

/**
 * The value parameters: for each value column, whether it was given and its
 * value. `complete` (set, insert) also requires every `not null` column
 * without a default.
 */
export function encodeValues(context: TableSqlContext, values: unknown, complete: boolean, operation: string): (string | null)[] {
  if (!isPlainObject(values)) {
    throw new InvalidInputError(`${operation} takes the values as an object of column name to value`)
  }
  const names = context.values.map((v) => v.column.name)
  const unknown = unknownKeys(values, names)
  if (unknown.length > 0) {
    throw new InvalidInputError(
      `${operation}: ${unknown.join(', ')} ${unknown.length === 1 ? 'is not a value column' : 'are not value columns'} of "${tableName(context)}"; its values are { ${names.join(', ')} }`,
    )
  }
  return context.values.flatMap((codec) => {
    const given = Object.prototype.hasOwnProperty.call(values, codec.column.name) && values[codec.column.name] !== undefined
    const value = given ? values[codec.column.name] : null
    // An explicit null never fits a not-null column; leaving a column out is
    // fine where it has a default, or where the write patches (update, correct).
    const missingRequired = !given && complete && codec.column.default === undefined
    if (value === null && codec.column.notNull === true && (given || missingRequired)) {
      throw new InvalidInputError(`${operation}: "${codec.column.name}" of "${tableName(context)}" is not null; give it a value`)
    }
    return [given ? 'true' : 'false', codec.encode(value, tableName(context))]
  })
}
