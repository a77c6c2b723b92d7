import type { Compilable, InferResult } from 'kysely'
import type { AnyKysely } from '../any-kysely.js'
import { InvalidInputError } from '../errors/errors.js'
import { batchSizeOf, cursorBatches, type StreamOptions } from '../read/cursor-batches.js'
import { assertDatabase } from '../statement/database-input.js'

/**
 * The rows of a Kysely query, one at a time, read through a server-side
 * cursor in batches: however many rows match, memory holds one batch.
 * Made for `repo.query(...)` over millions of versions, and works for any
 * select. The rows come from one snapshot (the cursor's); outside a
 * transaction the read runs in a read-only transaction of its own, which
 * ends when the rows run out or the loop stops early.
 *
 * `db` runs the cursor: pass the instance (or transaction) the query was
 * built on, so that its plugins shape the rows as they would for
 * `execute()`.
 *
 * @example
 * ```ts
 * const active = taxRates.query({ validAt: '2023-05-01' }).selectAll()
 * for await (const row of streamQuery(db, active, { batchSize: 5000 })) {
 *   await exportRow(row)
 * }
 * ```
 * sends
 * ```sql
 * start transaction read only;
 * select current_setting('cursor_tuple_fraction') as previous, set_config('cursor_tuple_fraction', '1', true);
 * declare "bitemporal_cursor_<n>" no scroll cursor for
 *   select * from "tax_rates" where (upper_inf("tax_rates"."system") and "tax_rates"."effective" @> $1::text::date);
 * fetch forward 5000 from "bitemporal_cursor_<n>";   -- until fewer than 5000 rows come back
 * commit;
 * ```
 */
export async function* streamQuery<Q extends Compilable>(
  db: AnyKysely,
  query: Q,
  options?: StreamOptions,
): AsyncGenerator<InferResult<Q>[number], void, undefined> {
  assertDatabase(db, 'streamQuery')
  if (typeof (query as Partial<Compilable> | null)?.compile !== 'function') {
    throw new InvalidInputError('streamQuery takes a Kysely query (something with compile()), e.g. repo.query().selectAll()')
  }
  const batchSize = batchSizeOf(options, 'streamQuery')
  const compiled = query.compile()
  for await (const batch of cursorBatches<InferResult<Q>[number]>(db, compiled.sql, compiled.parameters, batchSize)) {
    yield* batch
  }
}
