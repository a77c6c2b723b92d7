import { BitemporalError, type BitemporalErrorOptions } from './errors.js'

/**
 * A statement the repository built from the application's definition of a
 * table names a column the table does not have (SQLSTATE 42703): the table
 * was changed (a column renamed or dropped) and the application still runs
 * the definition from before, or the application was deployed with a new
 * definition before the migration that changes the table ran. Nothing was
 * written. Deploy the definition that matches the table, or bring the table
 * to the definition with a migration (`alterTable`, or a plain `ALTER TABLE`
 * and then `upgradeTable`). Not retryable: running the same statement again
 * fails the same way.
 *
 * @example
 * ```ts
 * try {
 *   await prices.set({ sku: 'A' }, { from: '2024-01-01' }, { net: '10.00' })
 * } catch (error) {
 *   if (error instanceof TableMismatchError) console.error(`deploy the definition of ${error.table} that matches the table`)
 * }
 * ```
 */
export class TableMismatchError extends BitemporalError {
  constructor(message: string, options: BitemporalErrorOptions = {}) {
    super('TABLE_MISMATCH', message, options)
  }
}
