import type { AnyKysely } from '../any-kysely.js'
import { BitemporalError } from '../errors/errors.js'
import { mapDatabaseError } from '../errors/map-database-error.js'
import { type DatabaseInput, toKysely } from '../repository/database.js'

/** Options of {@link transaction}. */
export interface TransactionOptions {
  /** How many times to run the transaction again after a retryable failure. Default: `3`. */
  readonly retries?: number
  /** Isolation level of the transaction. Default: the server's (READ COMMITTED). */
  readonly isolationLevel?: 'read committed' | 'repeatable read' | 'serializable'
}

/** SQLSTATE class 40 (serialization failure, deadlock), whether raised by the library or not. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof BitemporalError) return error.retryable
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && code.startsWith('40')
}

/** An error raised by the library's SQL (SQLSTATE class BT) and not mapped yet. */
function isLibraryError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return !(error instanceof BitemporalError) && typeof code === 'string' && code.startsWith('BT')
}

/** A short random pause that doubles with each attempt, so retrying writers fall out of step. */
export function backoff(attempt: number): Promise<void> {
  const ms = (1 + Math.random()) * 5 * 2 ** attempt
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * Runs `fn` in a transaction and commits it; runs it again, from the start,
 * when it fails with a retryable error (SQLSTATE class 40, such as a
 * `ConcurrentWriteError`), at most `retries` more times. Every write inside
 * shares one system time. Any other error rolls back and is thrown as is,
 * except one from the library's SQL (such as a temporal reference checked at
 * COMMIT), which becomes its typed error (`ReferenceViolationError`).
 *
 * @example
 * ```ts
 * await transaction(db, async (trx) => {
 *   await taxRates.with(trx).set({ state_id: 1, tax_type: 'vat' }, { from: '2024-01-01' }, { rate: '0.2' })
 *   await prices.with(trx).update({ sku: 'A' }, { from: '2024-01-01' }, { net: '10.00' })
 * })
 * // BEGIN; <one statement per write>; COMMIT
 * ```
 */
export async function transaction<T>(db: DatabaseInput, fn: (trx: AnyKysely) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  const kysely = toKysely(db)
  const retries = options.retries ?? 3
  for (let attempt = 0; ; attempt++) {
    try {
      const builder = options.isolationLevel === undefined ? kysely.transaction() : kysely.transaction().setIsolationLevel(options.isolationLevel)
      return await builder.execute(fn)
    } catch (error) {
      // A deferred check of the library's own SQL (a temporal reference) fails at COMMIT,
      // outside any repository call: give it its typed error too.
      if (!isRetryable(error)) throw isLibraryError(error) ? mapDatabaseError(error) : error
      if (attempt >= retries) throw mapDatabaseError(error)
      await backoff(attempt)
    }
  }
}
