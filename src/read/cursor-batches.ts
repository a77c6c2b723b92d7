import { CompiledQuery } from 'kysely'
import type { AnyKysely } from '../any-kysely.js'
import { describeValue } from '../errors/describe-value.js'
import { InvalidInputError } from '../errors/errors.js'
import { mapDatabaseError } from '../errors/map-database-error.js'
import type { NamedStatement } from '../statement/named-statement.js'
import { readOptions } from '../options/read-options.js'

/** Options of the streaming reads. */
export interface StreamOptions {
  /** Rows fetched per round trip; at most this many are in memory at once. Default: `1000`. */
  readonly batchSize?: number
}

export const DEFAULT_BATCH_SIZE = 1000
const MAX_BATCH_SIZE = 1_000_000

/** The batch size of `options`, checked before anything is sent. */
export function batchSizeOf(options: StreamOptions | undefined, what: string): number {
  // A misspelt `batchsize` would otherwise be ignored silently.
  const size = (options === undefined ? undefined : readOptions(options, what, ['batchSize'])['batchSize']) ?? DEFAULT_BATCH_SIZE
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 1 || size > MAX_BATCH_SIZE) {
    throw new InvalidInputError(`${what}: batchSize must be a whole number from 1 to ${String(MAX_BATCH_SIZE)}, got ${describeValue(size)}`)
  }
  return size
}

// Cursor names only need to be unique on one connection at a time; a
// process-wide counter is simpler than asking the connection.
let cursors = 0

/**
 * Runs one query through a server-side cursor and yields its rows in
 * batches of at most `batchSize`: one `DECLARE`, then one `FETCH` per batch,
 * so memory holds one batch whatever the size of the result. The cursor reads
 * one snapshot, taken when it is declared.
 *
 * A cursor lives in a transaction: inside the caller's transaction (`db` is
 * one) it uses it and closes the cursor at the end; otherwise it opens a
 * read-only transaction of its own and ends it when the rows run out, the
 * consumer stops early (`break`), or an error is thrown. Being plain SQL, it
 * works on any Kysely PostgreSQL dialect, with no `cursor` option to set.
 *
 * ```sql
 * select current_setting('cursor_tuple_fraction') as previous, set_config('cursor_tuple_fraction', '1', true);   -- plan for reading every row
 * declare "bitemporal_cursor_<n>" no scroll cursor for <query>;
 * select set_config('cursor_tuple_fraction', $1::text, true);   -- back to the caller's setting, in the caller's transaction
 * fetch forward 1000 from "bitemporal_cursor_<n>";   -- until fewer rows come back
 * close "bitemporal_cursor_<n>";
 * ```
 */
export async function* cursorBatches<R>(
  db: AnyKysely,
  text: string | NamedStatement,
  parameters: readonly unknown[],
  batchSize: number,
  /** The repository's table, when `text` is one of its statements (a missing column is then a `TableMismatchError`). */
  table?: string,
): AsyncGenerator<readonly R[], void, undefined> {
  const cursor = `"bitemporal_cursor_${String(++cursors)}"`
  const own = db.isTransaction ? undefined : await db.startTransaction().setAccessMode('read only').execute()
  const trx: AnyKysely = own ?? db
  let finished = false
  try {
    // A cursor is planned for fetching a tenth of its rows (cursor_tuple_fraction),
    // which favours a sequential scan for wide reads; a stream fetches them all.
    const { rows: settings } = await trx.executeQuery<{ previous: string }>(
      CompiledQuery.raw(`select current_setting('cursor_tuple_fraction') as previous, set_config('cursor_tuple_fraction', '1', true)`),
    )
    await trx.executeQuery(CompiledQuery.raw(`declare ${cursor} no scroll cursor for ${typeof text === 'string' ? text : text.text}`, [...parameters]))
    if (own === undefined) {
      // The setting is the caller's again for the rest of their transaction.
      await trx.executeQuery(CompiledQuery.raw(`select set_config('cursor_tuple_fraction', $1::text, true)`, [settings[0]?.previous ?? '0.1']))
    }
    for (;;) {
      const { rows } = await trx.executeQuery<R>(CompiledQuery.raw(`fetch forward ${String(batchSize)} from ${cursor}`))
      if (rows.length > 0) yield rows
      if (rows.length < batchSize) break
    }
    // Ending the transaction closes the cursor too.
    if (own === undefined) await trx.executeQuery(CompiledQuery.raw(`close ${cursor}`))
    else await own.commit().execute()
    finished = true
  } catch (error) {
    throw mapDatabaseError(error, { table })
  } finally {
    // After a break or an error, clean up on a best-effort basis: the error
    // that got here matters more than one from cleaning up.
    if (!finished) {
      if (own === undefined) await trx.executeQuery(CompiledQuery.raw(`close ${cursor}`)).catch(() => undefined)
      else await own.rollback().execute().catch(() => undefined)
    }
  }
}
