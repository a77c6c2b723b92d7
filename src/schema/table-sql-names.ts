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
  /** Rows by the start of their system range: what was asserted when (`repo.changes`). */
  readonly assertedIndex: string
  /** Closed rows by the end of their system range: what was retracted when (`repo.changes`). */
  readonly retractedIndex: string
  readonly insertTrigger: string
  /** Row guard on UPDATE; a close the library makes skips the PL/pgSQL (see `createTableSql`). */
  readonly historyTrigger: string
  /** Row guard on DELETE. */
  readonly deleteTrigger: string
  readonly truncateTrigger: string
  /** `"billing"."tax_rates_changed_after"`: see `changedAfterSql`. */
  readonly changedAfterFunction: string
}

const MAX_NAME = 63

/** Quoted names of the table's constraints, index and triggers. */
export function tableSqlNames(definition: TableDefinition): TableSqlNames {
  const base = definition.table.name
  const derived = (suffix: string): string => {
    const name = `${base}_${suffix}`
    if (name.length > MAX_NAME) {
      throw new InvalidInputError(
        `table name "${base}" is too long: "${name}" would exceed PostgreSQL's ${MAX_NAME} characters; use a name of at most ${MAX_NAME - suffix.length - 1} characters`,
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
    assertedIndex: derived('asserted'),
    retractedIndex: derived('retracted'),
    insertTrigger: derived('check_inserted_system'),
    historyTrigger: derived('guard_history'),
    deleteTrigger: derived('guard_delete'),
    truncateTrigger: derived('guard_truncate'),
    changedAfterFunction: `${definition.table.schema === undefined ? '' : `${quoteIdentifier(definition.table.schema)}.`}${derived('changed_after')}`,
  })
}
