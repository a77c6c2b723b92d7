import type { TableDefinition } from '../schema/define-table.js'
import { type DatabaseInput, toKysely } from '../statement/database-input.js'
import { Repository, type RepositoryOptions } from './repository.js'

/**
 * The repository of one bitemporal table over `db`: a Kysely instance, a
 * Kysely transaction, or a `pg.Pool`.
 *
 * @example
 * ```ts
 * const taxRates = bitemporal(db, defineTable({
 *   name: 'tax_rates',
 *   key: { state_id: 'integer', tax_type: 'text' },
 *   values: { rate: 'numeric not null' },
 * }))
 * await taxRates.set({ state_id: 1, tax_type: 'income_tax' }, { from: '2023-01-01' }, { rate: '0.15' })
 * ```
 */
export function bitemporal<D extends TableDefinition>(db: DatabaseInput, definition: D, options: RepositoryOptions = {}): Repository<D> {
  return new Repository(toKysely(db), definition, options)
}
