import type { AnyKysely } from '../any-kysely.js'

/** An isolation level `transaction()` accepts. */
export type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable'

/**
 * Runs `work` between BEGIN and COMMIT on one connection of `kysely` (Kysely's
 * `transaction().execute`), and throws the first failure. Kysely rolls back
 * when `work` fails; when the connection is gone (a backend terminated in a
 * lock wait), that ROLLBACK fails too and Kysely throws its error instead of
 * the one that ended the work, so a terminated backend (57P01) would reach
 * the caller as a connection that "is not queryable" (08006). Here the
 * error of `work` wins; an error of BEGIN or COMMIT is thrown as Kysely
 * reports it.
 *
 * @example
 * ```ts
 * await runTransaction(db, undefined, async (trx) => {
 *   await queueForKey(trx, keyLock)
 *   return runStatement(trx, writeStatement, parameters)
 * })
 * // begin; select pg_advisory_xact_lock($1::text::bigint); <the write>; commit
 * ```
 */
export async function runTransaction<T>(kysely: AnyKysely, isolationLevel: IsolationLevel | undefined, work: (trx: AnyKysely) => Promise<T>): Promise<T> {
  let failed: { readonly error: unknown } | undefined
  const builder = isolationLevel === undefined ? kysely.transaction() : kysely.transaction().setIsolationLevel(isolationLevel)
  try {
    return await builder.execute(async (trx) => {
      try {
        return await work(trx)
      } catch (error) {
        failed = { error }
        throw error
      }
    })
  } catch (thrown) {
    throw failed === undefined ? thrown : failed.error
  }
}
