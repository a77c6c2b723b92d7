import type { SelectQueryBuilder } from 'kysely'
import type { AnyKysely } from '../any-kysely.js'
import type { TableDefinition } from '../schema/define-table.js'
import { asOfCondition } from './as-of.js'
import { type AsOfInstant, resolveInstant } from './as-of-instant.js'
import { mapDriverErrors } from './map-driver-errors.js'

/**
 * What `repo.query()` returns: a Kysely select over the table, already
 * restricted to one instant, with nothing selected yet. `DB` and `TB` are
 * the caller's database type and the table's name in it, when given
 * (`repo.query<Database, 'tax_rates'>()`); otherwise the builder is untyped.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-empty-object-type -- Kysely's own start: no database type known, nothing selected yet
export type AsOfQuery<DB = any, TB extends keyof DB & string = keyof DB & string> = SelectQueryBuilder<DB, TB, {}>

/**
 * `select … from <table> where <as-of condition>` over `db`, for
 * `Repository.query`. The condition is the one {@link asOf} builds, naming
 * the table as the definition does; the instant is validated here, so a bad
 * one throws before the caller adds anything. Built on
 * {@link mapDriverErrors}, so running it rejects with the library's typed
 * errors, like every other read.
 */
export function queryAsOf<DB, TB extends keyof DB & string>(db: AnyKysely, definition: TableDefinition, at: AsOfInstant | undefined): AsOfQuery<DB, TB> {
  const instant = resolveInstant(definition, at, 'query')
  const reference = definition.table.schema === undefined ? [definition.table.name] : [definition.table.schema, definition.table.name]
  // The library knows the table only by its definition, not by the caller's database type.
  return mapDriverErrors(db).selectFrom(definition.name).where(asOfCondition(definition, reference, instant)) as AsOfQuery<DB, TB>
}
