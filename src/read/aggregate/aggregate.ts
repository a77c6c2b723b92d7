import type { AnyKysely } from '../../any-kysely.js'
import { mapDatabaseError } from '../../errors/map-database-error.js'
import type { TableSqlContext } from '../../statement/table-sql-context.js'
import { type AggregateStep, encodeAggregate } from './aggregate-options.js'
import { aggregateSql } from './aggregate-sql.js'

/**
 * A step function of valid time over `[validFrom, validTo)`: for each
 * period, how many versions of the table (kept by `where`, as known at
 * `knownAt`) were valid throughout it and the sum of a numeric column over
 * them; one step function per value of `groupBy`. The steps cover the
 * whole window (a period where nothing is valid has count 0 and sum `'0'`)
 * and adjacent steps with equal measures are merged. Ordered by group,
 * then effective start. One statement (see {@link aggregateSql}).
 *
 * `db` must come without the caller's plugins (the repository's own
 * instance): the filter names the table's columns as they are.
 *
 * @example
 * ```ts
 * await aggregate(db, context, {
 *   validFrom: '2024-01-01', validTo: '2025-01-01',
 *   where: (eb) => eb('status', '=', 'active'), count: true, sum: 'mrr',
 * })
 * // [{ effective: { from: '2024-01-01', to: '2024-02-01' }, count: 0, sum: '0.00' },
 * //  { effective: { from: '2024-02-01', to: '2025-01-01' }, count: 2, sum: '30.00' }]
 * ```
 *
 * @throws {InvalidInputError} before anything is sent, for bad options (see `encodeAggregate`).
 */
export async function aggregate(db: AnyKysely, context: TableSqlContext, options: unknown): Promise<readonly AggregateStep[]> {
  const encoded = encodeAggregate(context, options)
  let rows: readonly Readonly<Record<string, string | null>>[]
  try {
    rows = (await aggregateSql(db, context, encoded).execute(db)).rows
  } catch (error) {
    throw mapDatabaseError(error, { table: context.definition.name })
  }
  return Object.freeze(
    rows.map((row) => {
      const step: Record<string, unknown> = { effective: Object.freeze({ from: row['effective_from'] ?? '', to: row['effective_to'] ?? '' }) }
      if (encoded.count) step['count'] = Number(row['count'])
      if (encoded.sum !== undefined) step['sum'] = row['sum']
      if (encoded.groupBy !== undefined) step['group'] = encoded.groupBy.decode(row['group_value'] ?? null)
      return Object.freeze(step) as unknown as AggregateStep
    }),
  )
}
