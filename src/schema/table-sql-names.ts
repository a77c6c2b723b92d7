import { InvalidInputError } from '../errors/errors.js'
import type { TableDefinition } from './define-table.js'
import { quoteIdentifier, quoteQualifiedName } from './identifier.js'

/**
 * The names of everything `createTable` makes for one table. One place, so
 * that DDL, health checks and error messages agree on them.
 */
export interface TableSqlNames {
  /** `"billing"."tax_rates"` */
  readonly table: string
  /** The table as a string literal for `::regclass`: `'"billing"."tax_rates"'`. */
  readonly tableLiteral: string
  readonly effectiveNotEmpty: string
  readonly systemNotEmpty: string
  readonly noOverlap: string
  readonly currentIndex: string
  readonly insertTrigger: string
  readonly historyTrigger: string
  readonly truncateTrigger: string
}

const MAX_NAME = 63

/** Quoted names of the table's constraints, index and triggers. */
export function tableSqlNames(definition: TableDefinition): TableSqlNames {
  const base = definition.table.name
  const derived = (suffix: string): string => {
    const name = `${base}_${suffix}`
    if (name.length > MAX_NAME) {
      throw new InvalidInputError(
        `bitemporal: table name "${base}" is too long: "${name}" would exceed PostgreSQL's ${MAX_NAME} characters; use a name of at most ${MAX_NAME - suffix.length - 1} characters`,
      )
    }
    return quoteIdentifier(name)
  }
  const table = quoteQualifiedName(definition.table)
  return Object.freeze({
    table,
    tableLiteral: `'${table}'`,
    effectiveNotEmpty: derived('effective_valid'),
    systemNotEmpty: derived('system_valid'),
    noOverlap: derived('no_overlap'),
    currentIndex: derived('current'),
    insertTrigger: derived('check_inserted_system'),
    historyTrigger: derived('guard_history'),
    truncateTrigger: derived('guard_truncate'),
  })
}
