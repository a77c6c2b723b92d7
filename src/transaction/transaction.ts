import type { AnyKysely } from '../any-kysely.js'
import { describeValue } from '../errors/describe-value.js'
import { type BitemporalError, InvalidInputError } from '../errors/errors.js'
import { isLibraryError, isRetryable, mapDatabaseError } from '../errors/map-database-error.js'
import { readOptions } from '../options/read-options.js'
import { type DatabaseInput, toKysely } from '../statement/database-input.js'
import { queueForKey } from './queue-for-key.js'
import { isRetryCount, withRetries } from './retry-policy.js'
import { type IsolationLevel, runTransaction } from './run-transaction.js'

/** Options of {@link transaction}. */
export interface TransactionOptions {
  /** How many times to run the transaction again after a retryable failure. Default: `3`. */
  readonly retries?: number
  /** Isolation level of the transaction. Default: the server's (READ COMMITTED). */
  readonly isolationLevel?: IsolationLevel
  /**
   * Called before each retry with the retryable error that ended the attempt
   * (mapped: a `ConcurrentWriteError`) and the number of the retry (1, 2, …).
   * For counting and logging contention; it cannot stop the retry.
   */
  readonly onRetry?: (error: BitemporalError, retry: number) => void
}

const ISOLATION_LEVELS: readonly unknown[] = ['read committed', 'repeatable read', 'serializable']

/** Retries of `transaction()` when the caller names none. */
export const TRANSACTION_RETRIES = 3

/**
 * Runs `fn` in a transaction and commits it; runs it again, from the start,
 * when it fails with a retryable error (SQLSTATE class 40, such as a
 * `ConcurrentWriteError`), at most `retries` more times, under the one retry
 * policy of the library ({@link withRetries}, docs/reliability.md
 * "Retries"). Every write inside shares one system time. Any other error of
 * `fn` rolls back and is thrown as is (even when the rollback fails too, e.g.
 * on a dropped connection), except one from the library's SQL, which becomes
 * its typed error. An error of BEGIN or COMMIT is typed as well: a temporal
 * reference checked at COMMIT is a `ReferenceViolationError`, a connection
 * lost at COMMIT a `DatabaseError` (not retryable: the transaction may have
 * committed).
 *
 * @example
 * ```ts
 * await transaction(db, async (trx) => {
 *   await taxRates.with(trx).set({ state_id: 1, tax_type: 'vat' }, { from: '2024-01-01' }, { rate: '0.2' })
 *   await prices.with(trx).update({ sku: 'A' }, { from: '2024-01-01' }, { net: '10.00' })
 * })
 * // BEGIN; <one statement per write>; COMMIT
 * // after a lost race on a busy key: BEGIN; select pg_advisory_xact_lock($1::text::bigint); <the writes>; COMMIT
 * ```
 */
export async function transaction<T>(db: DatabaseInput, fn: (trx: AnyKysely) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  const kysely = toKysely(db, 'transaction')
  if (typeof fn !== 'function') throw new InvalidInputError('transaction takes a function (trx) => Promise<T>')
  const checked = readOptions(options, 'transaction', ['retries', 'isolationLevel', 'onRetry'])
  const retries = checked['retries'] ?? TRANSACTION_RETRIES
  if (!isRetryCount(retries)) {
    throw new InvalidInputError(`transaction: retries must be a whole number from 0, got ${describeValue(retries)}`)
  }
  if (options.isolationLevel !== undefined && !ISOLATION_LEVELS.includes(options.isolationLevel)) {
    throw new InvalidInputError(`transaction: isolationLevel must be 'read committed', 'repeatable read' or 'serializable'`)
  }
  if (options.onRetry !== undefined && typeof options.onRetry !== 'function') {
    throw new InvalidInputError('transaction: onRetry must be a function (error, retry) => void')
  }
  // Whether the attempt that just failed failed in fn, the caller's code, or
  // in the helper's own statements (BEGIN, the wait for the key lock, COMMIT).
  let failedInFn = false
  return withRetries(
    (queueFor) => {
      failedInFn = false
      return runTransaction(kysely, options.isolationLevel, async (trx) => {
        // The helper's own statement, like BEGIN and COMMIT: its errors are typed.
        if (queueFor !== undefined) await queueForKey(trx, queueFor)
        try {
          return await fn(trx)
        } catch (error) {
          failedInFn = true
          throw error
        }
      })
    },
    {
      retries,
      onRetry: options.onRetry,
      // The caller's own errors pass through untouched; the helper's
      // statements, retryable errors and the library's SQL get typed. That
      // includes a deferred check of the library's SQL (a temporal
      // reference) at COMMIT, and a COMMIT whose connection dropped (not
      // retryable: it may have committed).
      typed: (error) => (!failedInFn || isRetryable(error) || isLibraryError(error) ? mapDatabaseError(error) : undefined),
      queue: readCommitted(options.isolationLevel),
    },
  )
}

function readCommitted(level: IsolationLevel | undefined): boolean {
  return level === undefined || level === 'read committed'
}
