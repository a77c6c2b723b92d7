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
import { combineSidesSql, combineTimelinesSql } from './combine-timelines-sql.js'
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

/** Options of the N-way form of {@link combineTimelines}: any number of sides, at least two. */
export interface CombineSidesOptions<S extends readonly TableDefinition[]> {
  /** The sides, in order: each a table and the key of one entity in it. */
  readonly sides: { readonly [I in keyof S]: TimelineSide<S[I]> }
  /** The system-time instant every timeline is read at. Default: current knowledge. */
  readonly knownAt?: InstantInput
  /** Start of the valid-time window, inclusive. Default: unbounded. */
  readonly from?: DateInput | null
  /** End of the valid-time window, exclusive. Default: unbounded. */
  readonly to?: DateInput | null
}

/** One period of an N-way combined timeline: every entity had these values throughout `effective`. */
export interface CombinedSidesPeriod<S extends readonly TableDefinition[]> {
  /** The intersection of one version of each side (and the window). */
  readonly effective: EffectiveRange
  /** Each side's values, in the order of `sides`. */
  readonly values: { readonly [I in keyof S]: ValuesOf<S[I]> }
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
 * Any number of entities (income × tax rate × exemption) take the form
 * `{ sides: [{ table, key }, …] }` and give each period's values as an
 * array in the order of `sides`, still one statement (see `combineSidesSql`):
 *
 * ```ts
 * const periods = await combineTimelines(db, {
 *   sides: [
 *     { table: incomes, key: { person_id: 1 } },
 *     { table: taxRates, key: { state_id: 1, tax_type: 'income_tax' } },
 *     { table: exemptions, key: { person_id: 1 } },
 *   ],
 *   from: '2023-01-01',
 *   to: '2024-01-01',
 * })
 * // [{ effective: { from: '2023-01-01', to: '2023-03-01' }, values: [{ monthly: '3000.00' }, { rate: '0.10' }, { share: '0.50' }] }, …]
 * ```
 *
 * @throws {InvalidInputError} before anything is sent, for a bad key, window
 *   or `knownAt`, an unknown option, fewer than two sides, or tables of
 *   different valid time.
 */
export async function combineTimelines<L extends TableDefinition, R extends TableDefinition>(
  db: DatabaseInput,
  options: CombineTimelinesOptions<L, R>,
): Promise<readonly CombinedPeriod<L, R>[]>
export async function combineTimelines<const S extends readonly TableDefinition[]>(
  db: DatabaseInput,
  options: CombineSidesOptions<S>,
): Promise<readonly CombinedSidesPeriod<S>[]>
export async function combineTimelines(db: DatabaseInput, options: unknown): Promise<readonly unknown[]> {
  if (isPlainObject(options) && 'sides' in options) return combineSides(db, options)
  const checked = readOptions(options, 'combineTimelines', ['left', 'right', 'knownAt', 'from', 'to'], ['left', 'right'])
  const [left, leftKey] = side(checked['left'], 'left')
  const [right, rightKey] = side(checked['right'], 'right')
  assertSameValidTime([left, right])
  const { window, knownAt } = windowAndKnowledge(left, checked)
  const rows = await run(db, combineTimelinesSql(left, right, knownAt.length > 0), [...leftKey, ...rightKey, ...window, ...knownAt])
  return Object.freeze(rows.map((row) => Object.freeze({ effective: effectiveOf(row), left: values(left, 'l', row), right: values(right, 'r', row) })))
}

async function combineSides(db: DatabaseInput, options: Readonly<Record<string, unknown>>): Promise<readonly unknown[]> {
  const checked = readOptions(options, 'combineTimelines', ['sides', 'knownAt', 'from', 'to'], ['sides'])
  const input = checked['sides']
  if (!Array.isArray(input) || input.length < 2) {
    throw new InvalidInputError('combineTimelines: sides must be an array of at least two { table, key }; one timeline alone is repo.timeline')
  }
  const sides = input.map((entry: unknown, index) => side(entry, `sides[${String(index)}]`))
  const contexts = sides.map(([context]) => context)
  assertSameValidTime(contexts)
  const [first] = contexts
  if (first === undefined) throw new Error('bitemporal: combineTimelines: no side after the check')
  const { window, knownAt } = windowAndKnowledge(first, checked)
  const rows = await run(db, combineSidesSql(contexts, knownAt.length > 0), [...sides.flatMap(([, key]) => key), ...window, ...knownAt])
  return Object.freeze(
    rows.map((row) =>
      Object.freeze({ effective: effectiveOf(row), values: Object.freeze(contexts.map((context, index) => values(context, `s${String(index)}_`, row))) }),
    ),
  )
}

function assertSameValidTime(contexts: readonly TableSqlContext[]): void {
  const [first] = contexts
  const other = contexts.find((context) => context.definition.validTime !== first?.definition.validTime)
  if (first !== undefined && other !== undefined) {
    throw new InvalidInputError(
      `combineTimelines: "${first.definition.name}" has valid time '${first.definition.validTime}' and "${other.definition.name}" '${other.definition.validTime}'; their effective ranges cannot be intersected`,
    )
  }
}

function windowAndKnowledge(context: TableSqlContext, checked: Readonly<Record<string, unknown>>): { window: readonly unknown[]; knownAt: readonly string[] } {
  const window = encodeWindow(context, checked['from'], checked['to'], 'combineTimelines')
  const knownAt = checked['knownAt'] === undefined ? [] : [toKnownAt(checked['knownAt'], 'combineTimelines: knownAt')]
  return { window, knownAt }
}

async function run(db: DatabaseInput, text: string, parameters: readonly unknown[]): Promise<readonly Readonly<Record<string, string | null>>[]> {
  try {
    return (await runStatement(withoutCallerPlugins(toKysely(db, 'combineTimelines')), text, parameters)) as readonly Readonly<Record<string, string | null>>[]
  } catch (error) {
    throw mapDatabaseError(error)
  }
}

// Definitions are frozen, so their SQL context can be computed once.
const contexts = new WeakMap<TableDefinition, TableSqlContext>()

function side(input: unknown, which: string): readonly [TableSqlContext, unknown[]] {
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

function effectiveOf(row: Readonly<Record<string, string | null>>): EffectiveRange {
  return Object.freeze({ from: row['effective_from'] ?? '', to: row['effective_to'] ?? null })
}

/** One side's values, from the output columns `<prefix>0`, `<prefix>1`, … */
function values(context: TableSqlContext, prefix: string, row: Readonly<Record<string, string | null>>): Readonly<Record<string, unknown>> {
  const result: Record<string, unknown> = {}
  context.values.forEach((codec, i) => {
    result[codec.column.name] = codec.decode(row[`${prefix}${String(i)}`] ?? null)
  })
  return Object.freeze(result)
}
