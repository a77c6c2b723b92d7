import { sql } from 'kysely'
import type { AnyKysely } from '../any-kysely.js'

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
 * @example
 * ```ts
 * await queueForKey(trx, error.keyLock)
 * // select pg_advisory_xact_lock($1::text::bigint)
 * ```
 */
export async function queueForKey(trx: AnyKysely, keyLock: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(${keyLock}::text::bigint)`.execute(trx)
}
