import { describeValue } from '../errors/describe-value.js'
import { InvalidInputError } from '../errors/errors.js'
import type { TableDefinition } from './define-table.js'

/**
 * Checks that `value` looks like what `defineTable` returns, so that a plain
 * JavaScript caller who passes a table name gets a typed error rather than a
 * query over `undefined` columns.
 */
export function assertDefinition(value: unknown, what: string): asserts value is TableDefinition {
  const candidate = value as Partial<TableDefinition> | null
  if (
    typeof value !== 'object' ||
    candidate === null ||
    typeof candidate.effectiveColumn !== 'string' ||
    typeof candidate.systemColumn !== 'string' ||
    typeof candidate.table?.name !== 'string'
  ) {
    throw new InvalidInputError(`${what} takes a table definition (the result of defineTable), got ${describeValue(value)}`)
  }
}
