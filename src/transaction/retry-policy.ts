import { type BitemporalError, ConcurrentWriteError } from '../errors/errors.js'

/**
 * How one unit of work (a single write, or a `transaction()`) is run again
 * after a lost race. The one policy of the library (docs/reliability.md
 * "Retries"):
 *
 * - **What is retried**: an error whose typed form is `retryable`, that is a
 *   `ConcurrentWriteError`: SQLSTATE class 40 (40001 serialization failure,
 *   which the library's own write statements raise after a lost race, and
 *   40P01 deadlock), an exclusion violation a single write met from a
 *   concurrent insert, and a named statement that a schema change made stale
 *   and that has been prepared again. Nothing else: a lost connection, a
 *   timeout or a cancel may come after the COMMIT took effect.
 * - **Attempts**: `1 + retries`; single writes default to 5 retries,
 *   `transaction()` to 3.
 * - **Backoff**: a random pause of 5–10 ms, doubling with each retry.
 * - **Queueing**: when the lost race named the key's lock (it was busy), the
 *   next attempt first waits its turn for that lock (decision 78).
 * - **`onRetry(error, retry)`**: called before each retry with the typed
 *   error and the retry's number (1, 2, …); it cannot stop the retry.
 * - **When the connection dies** at any point (the first attempt, a retry's
 *   BEGIN, its wait for the key's lock, its write, its COMMIT), the caller
 *   gets the first failure, typed (a `DatabaseError`, `retryable: false`),
 *   never the error of the cleanup that followed it, and no further attempt.
 *
 * @example
 * ```ts
 * const result = await withRetries(
 *   (queueFor) => (queueFor === undefined ? writeOnce() : writeInTurn(queueFor)),
 *   { retries: 5, onRetry: (error, retry) => log.warn({ retry, code: error.code }), typed: (error) => mapDatabaseError(error) },
 * )
 * ```
 */
export async function withRetries<T>(attempt: (queueFor: string | undefined) => Promise<T>, policy: RetryPolicy): Promise<T> {
  // The key lock the last attempt found busy: the next one waits its turn for it.
  let queueFor: string | undefined
  for (let retry = 0; ; retry++) {
    try {
      return await attempt(queueFor)
    } catch (error) {
      const typed = policy.typed(error)
      if (typed === undefined || !typed.retryable || retry >= policy.retries) throw typed ?? error
      policy.onRetry?.(typed, retry + 1)
      queueFor = policy.queue !== false && typed instanceof ConcurrentWriteError ? typed.keyLock : undefined
      await backoff(retry)
    }
  }
}

/** What {@link withRetries} needs to know besides the work itself. */
export interface RetryPolicy {
  /** Retries after the first attempt (a whole number from 0). */
  readonly retries: number
  /** Called before each retry; see {@link withRetries}. */
  readonly onRetry?: ((error: BitemporalError, retry: number) => void) | undefined
  /**
   * The typed form of what an attempt threw, which decides whether it is
   * retried; `undefined` for an error that is not the library's to type
   * (the caller's own, thrown inside `transaction()`), rethrown as it is.
   */
  readonly typed: (error: unknown) => BitemporalError | undefined
  /**
   * Whether a retry waits for the key's lock first. Only under READ
   * COMMITTED does it help: there the write after the wait reads the key as
   * the writers before it left it. Default: `true`.
   */
  readonly queue?: boolean
}

/** A `retries` option, checked: NaN or a string would make the loop endless. */
export function isRetryCount(retries: unknown): retries is number {
  return typeof retries === 'number' && Number.isSafeInteger(retries) && retries >= 0
}

/** A short random pause that doubles with each retry, so retrying writers fall out of step. */
export function backoff(retry: number): Promise<void> {
  const milliseconds = (1 + Math.random()) * 5 * 2 ** retry
  return new Promise((resolve) => setTimeout(resolve, milliseconds))
}
