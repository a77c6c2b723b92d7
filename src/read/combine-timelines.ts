import { InvalidInputError } from '../errors/errors.js'
import { mapDatabaseError } from '../errors/map-database-error.js'
import { type DatabaseInput, toKysely } from '../statement/database-input.js'
import { runStatement, withoutCallerPlugins } from '../statement/run-statement.js'
import { type TableSqlContext, tableSqlContext } from '../statement/table-sql-context.js'
import type { EffectiveRange } from '../codec/decode-version.js'
import { encodeKey } from '../codec/encode-key.js'
import type { KeyOf, TableDefinition, ValuesOf } from '../schema/define-table.js'
import { type DateInput, type InstantInput, toKnownAt } from '../time/date-input.js'
import { isPlainObject } from '../values/is-plain-object.js'
import { unknownKeys, unknownKeysText } from '../values/unknown-keys.js'
import { combineTimelinesSql } from './combine-timelines-sql.js'
import { encodeWindow } from './read-input.js'
import { readOptions } from '../options/read-options.js'

/** One side of {@link combineTimelines}: a table and the key of one entity in it. */
export interface TimelineSide<D extends TableDefinition> {
  readonly table: D
  readonly key: KeyOf<D>
}

/** Options of {@link combineTimelines}. */
export interface CombineTimelinesOptions<L extends TableDefinition, R extends TableDefinition> {
  readonly left: TimelineSide<L>
  readonly right: TimelineSide<R>
  /**
   * The system-time instant both timelines are read at. Default: current
   * knowledge. A `Date` is read as the last microsecond of its millisecond.
   */
  readonly knownAt?: InstantInput
  /** Start of the valid-time window, inclusive. Default: unbounded. */
  readonly from?: DateInput | null
  /** End of the valid-time window, exclusive. Default: unbounded. */
  readonly to?: DateInput | null
}

/** One period of a combined timeline: both entities had these values throughout `effective`. */
export interface CombinedPeriod<L extends TableDefinition, R extends TableDefinition> {
  /** The intersection of a left and a right version's effective ranges (and the window). */
  readonly effective: EffectiveRange
  readonly left: ValuesOf<L>
  readonly right: ValuesOf<R>
}

/**
 * The timelines of two entities, as known at one instant, combined over the
 * intersections of their effective ranges: one period wherever both have a
 * version, cut at every change of either, ordered by effective start. Where
 * either has no version (a gap) there is no period. One SQL statement (see
 * `combineTimelinesSql`): the intersections are computed by PostgreSQL
 * (`a.effective * b.effective`), not in JavaScript.
 *
 * Both tables must have the same valid time (`'date'` or `'timestamp'`).
 *
 * @example
 * ```ts
 * const periods = await combineTimelines(db, {
 *   left: { table: incomes, key: { person_id: 1 } },
 *   right: { table: taxRates, key: { state_id: 1, tax_type: 'income_tax' } },
 *   from: '2023-01-01',
 *   to: '2024-01-01',
 * })
 * // [{ effective: { from: '2023-01-01', to: '2023-03-01' }, left: { monthly: '3000.00' }, right: { rate: '0.10' } }, …]
 * ```
 *
 * @throws {InvalidInputError} before anything is sent, for a bad key, window
 *   or `knownAt`, an unknown option, or tables of different valid time.
 */
export async function combineTimelines<L extends TableDefinition, R extends TableDefinition>(
  db: DatabaseInput,
  options: CombineTimelinesOptions<L, R>,
): Promise<readonly CombinedPeriod<L, R>[]> {
  const checked = readOptions(options, 'combineTimelines', ['left', 'right', 'knownAt', 'from', 'to'], ['left', 'right'])
  const [left, leftKey] = side(checked['left'], 'left')
  const [right, rightKey] = side(checked['right'], 'right')
  if (left.definition.validTime !== right.definition.validTime) {
    throw new InvalidInputError(
      `combineTimelines: "${left.definition.name}" has valid time '${left.definition.validTime}' and "${right.definition.name}" '${right.definition.validTime}'; their effective ranges cannot be intersected`,
    )
  }
  const window = encodeWindow(left, checked['from'], checked['to'], 'combineTimelines')
  const knownAt = checked['knownAt'] === undefined ? [] : [toKnownAt(checked['knownAt'], 'combineTimelines: knownAt')]
  const text = combineTimelinesSql(left, right, knownAt.length > 0)
  let rows: Awaited<ReturnType<typeof runStatement>>
  try {
    rows = await runStatement(withoutCallerPlugins(toKysely(db, 'combineTimelines')), text, [...leftKey, ...rightKey, ...window, ...knownAt])
  } catch (error) {
    throw mapDatabaseError(error)
  }
  return Object.freeze(rows.map((row) => decodePeriod<L, R>(left, right, row as Readonly<Record<string, string | null>>)))
}

// Definitions are frozen, so their SQL context can be computed once.
const contexts = new WeakMap<TableDefinition, TableSqlContext>()

function side(input: unknown, which: 'left' | 'right'): readonly [TableSqlContext, unknown[]] {
  if (!isPlainObject(input) || !isTableDefinition(input['table'])) {
    throw new InvalidInputError(`combineTimelines: ${which} must be { table, key } with a table from defineTable`)
  }
  // A side's own `knownAt` or window would otherwise be dropped without a word.
  const unknown = unknownKeys(input, ['table', 'key'])
  if (unknown.length > 0) {
    throw new InvalidInputError(`combineTimelines: ${unknownKeysText(unknown)} in ${which}; a side is { table, key }`)
  }
  const definition = input['table']
  let context = contexts.get(definition)
  if (context === undefined) {
    context = tableSqlContext(definition)
    contexts.set(definition, context)
  }
  return [context, encodeKey(context, input['key'])]
}

function isTableDefinition(value: unknown): value is TableDefinition {
  // Plain JavaScript callers can pass anything; definitions are plain frozen objects, so check their shape.
  return typeof value === 'object' && value !== null && Array.isArray((value as Partial<TableDefinition>).keyColumns) && Object.isFrozen(value)
}

function decodePeriod<L extends TableDefinition, R extends TableDefinition>(
  left: TableSqlContext,
  right: TableSqlContext,
  row: Readonly<Record<string, string | null>>,
): CombinedPeriod<L, R> {
  const values = (context: TableSqlContext, prefix: string): Readonly<Record<string, unknown>> => {
    const result: Record<string, unknown> = {}
    context.values.forEach((codec, i) => {
      result[codec.column.name] = codec.decode(row[`${prefix}${String(i)}`] ?? null)
    })
    return Object.freeze(result)
  }
  return Object.freeze({
    effective: Object.freeze({ from: row['effective_from'] ?? '', to: row['effective_to'] ?? null }),
    left: values(left, 'l') as ValuesOf<L>,
    right: values(right, 'r') as ValuesOf<R>,
  })
}
