import { sql } from 'kysely'
import type { AnyKysely } from '../any-kysely.js'
import { describeValue } from '../errors/describe-value.js'
import { BitemporalError, ConcurrentWriteError, InvalidInputError } from '../errors/errors.js'
import { mapDatabaseError } from '../errors/map-database-error.js'
import { readOptions } from '../read/read-input.js'
import { type DatabaseInput, toKysely } from '../repository/database.js'

/** Options of {@link transaction}. */
export interface TransactionOptions {
  /** How many times to run the transaction again after a retryable failure. Default: `3`. */
  readonly retries?: number
  /** Isolation level of the transaction. Default: the server's (READ COMMITTED). */
  readonly isolationLevel?: 'read committed' | 'repeatable read' | 'serializable'
  /**
   * Called before each retry with the retryable error that ended the attempt
   * (mapped: a `ConcurrentWriteError`) and the number of the retry (1, 2, …).
   * For counting and logging contention; it cannot stop the retry.
   */
  readonly onRetry?: (error: BitemporalError, retry: number) => void
}

const ISOLATION_LEVELS: readonly unknown[] = ['read committed', 'repeatable read', 'serializable']

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
 * shares one system time. Any other error of `fn` rolls back and is thrown
 * as is (even when the rollback fails too, e.g. on a dropped connection),
 * except one from the library's SQL, which becomes its typed error. An error
 * of BEGIN or COMMIT is typed as well: a temporal reference checked at COMMIT
 * is a `ReferenceViolationError`, a connection lost at COMMIT a
 * `DatabaseError` (not retryable: the transaction may have committed).
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
  const kysely = toKysely(db, 'transaction')
  if (typeof fn !== 'function') throw new InvalidInputError('transaction takes a function (trx) => Promise<T>')
  const checked = readOptions(options, 'transaction', ['retries', 'isolationLevel', 'onRetry'])
  const retries = checked['retries'] ?? 3
  // NaN or a string would make `attempt >= retries` never true: endless retries.
  if (typeof retries !== 'number' || !Number.isSafeInteger(retries) || retries < 0) {
    throw new InvalidInputError(`transaction: retries must be a whole number from 0, got ${describeValue(retries)}`)
  }
  if (options.isolationLevel !== undefined && !ISOLATION_LEVELS.includes(options.isolationLevel)) {
    throw new InvalidInputError(`transaction: isolationLevel must be 'read committed', 'repeatable read' or 'serializable'`)
  }
  if (options.onRetry !== undefined && typeof options.onRetry !== 'function') {
    throw new InvalidInputError('transaction: onRetry must be a function (error, retry) => void')
  }
  // Whose turn to wait for before the next attempt: the key lock a write found busy.
  let queueFor: string | undefined
  for (let attempt = 0; ; attempt++) {
    let failed: { readonly error: unknown } | undefined
    const run = async (trx: AnyKysely): Promise<T> => {
      // The helper's own statement, like BEGIN and COMMIT: its errors are typed below.
      if (queueFor !== undefined) await queueForKey(trx, queueFor)
      try {
        return await fn(trx)
      } catch (error) {
        failed = { error }
        throw error
      }
    }
    try {
      const builder = options.isolationLevel === undefined ? kysely.transaction() : kysely.transaction().setIsolationLevel(options.isolationLevel)
      return await builder.execute(run)
    } catch (thrown) {
      // When the connection is gone, Kysely's ROLLBACK fails too and its error
      // replaces fn's: the caller gets fn's own error back (typed, if a
      // repository call threw it).
      const error = failed === undefined ? thrown : failed.error
      // Otherwise BEGIN or COMMIT failed: the helper's own statements, so the
      // error is the library's to type. That includes a deferred check of the
      // library's SQL (a temporal reference) at COMMIT, and a COMMIT whose
      // connection dropped (not retryable: it may have committed).
      if (!isRetryable(error)) throw failed === undefined || isLibraryError(error) ? mapDatabaseError(error) : error
      const mapped = mapDatabaseError(error)
      if (attempt >= retries) throw mapped
      options.onRetry?.(mapped, attempt + 1)
      queueFor = readCommitted(options.isolationLevel) && mapped instanceof ConcurrentWriteError ? mapped.keyLock : undefined
      await backoff(attempt)
    }
  }
}

/**
 * Takes the key lock a write of the last attempt found busy, as the first
 * statement of the next attempt (decision 78). On a hot key every writer that
 * found the lock busy waits for its holder and then fails; running again
 * races all of them for the lock, and one writer can lose every race until
 * its retries run out. Waiting for the lock first puts it in PostgreSQL's
 * queue for that lock, and under READ COMMITTED the write that follows reads
 * the key as the writers before it left it, so it goes through. Under an
 * older snapshot (REPEATABLE READ, SERIALIZABLE: taken by this very
 * statement, before the wait) it would not help, so it is left out there.
 *
 * ```sql
 * select pg_advisory_xact_lock($1::text::bigint)
 * ```
 */
export async function queueForKey(trx: AnyKysely, keyLock: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(${keyLock}::text::bigint)`.execute(trx)
}

function readCommitted(level: TransactionOptions['isolationLevel']): boolean {
  return level === undefined || level === 'read committed'
}
