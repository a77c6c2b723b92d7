import type { Expression, ExpressionBuilder, SqlBool } from 'kysely'
import { describeValue } from '../../errors/describe-value.js'
import { InvalidInputError } from '../../errors/errors.js'
import type { TableSqlContext } from '../../statement/table-sql-context.js'
import type { TableDefinition } from '../../schema/define-table.js'
import { type DateInput, type InstantInput, toKnownAt } from '../../time/date-input.js'
import type { ColumnCodec } from '../../schema/column-codec.js'
import { encodeWindow } from '../read-input.js'
import { readOptions } from '../../options/read-options.js'

/**
 * A filter over the table's columns, as Kysely's `where` takes it:
 * `(eb) => eb('status', '=', 'active')`. Columns are named unqualified, as
 * in the table; values become parameters.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the library knows the table by its definition, not by the caller's database type
export type AggregateFilter = (eb: ExpressionBuilder<any, any>) => Expression<SqlBool>

/** Options of `repo.aggregate`. */
export interface AggregateOptions<D extends TableDefinition> {
  /** Start of the valid-time window, inclusive. Required. */
  readonly validFrom: DateInput
  /** End of the valid-time window, exclusive. Required: the steps cover the whole window. */
  readonly validTo: DateInput
  /**
   * The system-time instant the versions are read at. Default: current
   * knowledge. A `Date` is read as the last microsecond of its millisecond.
   */
  readonly knownAt?: InstantInput
  /** Only the versions this filter keeps: `(eb) => eb('status', '=', 'active')`. Default: every version. */
  readonly where?: AggregateFilter
  /** Count the versions valid in each period. */
  readonly count?: boolean
  /** Sum this numeric value column over the versions valid in each period (an exact decimal string). */
  readonly sum?: keyof D['values'] & string
  /** One step function per value of this key or value column. */
  readonly groupBy?: (keyof D['values'] | keyof D['key']) & string
}

/** One step of an aggregate: throughout `effective`, the versions valid counted `count` and summed `sum`. */
export interface AggregateStep {
  /** A period of the window; `to` is exclusive. Adjacent steps never have equal measures. */
  readonly effective: { readonly from: string; readonly to: string }
  /** With `count: true`: how many versions were valid throughout the period (0 where none was). */
  readonly count?: number
  /** With `sum`: their sum, as an exact decimal string, `'0'` (at the column's scale) where none was. */
  readonly sum?: string
  /** With `groupBy`: the column's value that this step function is for (`null` is a group too). */
  readonly group?: unknown
}

/** The options of `aggregate`, checked: what the statement needs. */
export interface EncodedAggregate {
  readonly validFrom: string
  readonly validTo: string
  readonly knownAt: string | null
  readonly where: AggregateFilter | undefined
  readonly count: boolean
  readonly sum: ColumnCodec | undefined
  readonly groupBy: ColumnCodec | undefined
}

const OPTIONS: readonly string[] = ['validFrom', 'validTo', 'knownAt', 'where', 'count', 'sum', 'groupBy']

// Types a running sum of +value and -value reads exactly once cast to numeric.
const SUMMABLE = /^(smallint|integer|int|int2|int4|int8|bigint|serial|smallserial|bigserial|numeric|decimal|real|float4|float8|double precision|money)\b/

/**
 * Checks the options of `aggregate` before anything is sent.
 *
 * @throws {InvalidInputError} for an unknown option, a missing or bad
 *   window or `knownAt`, a `where` that is not a function, neither `count`
 *   nor `sum`, or a `sum`/`groupBy` that names no column of the table (or,
 *   for `sum`, a column that is not a number).
 *
 * @example
 * encodeAggregate(context, { validFrom: '2024-01-01', validTo: '2025-01-01', count: true, sum: 'mrr' })
 */
export function encodeAggregate(context: TableSqlContext, options: unknown): EncodedAggregate {
  const checked = readOptions(options, 'aggregate', OPTIONS, ['validFrom', 'validTo'])
  const { validFrom, validTo, knownAt, where, count, sum, groupBy } = checked
  if (validFrom === undefined || validFrom === null || validTo === undefined || validTo === null) {
    throw new InvalidInputError('aggregate: { validFrom, validTo } are required: the steps cover the window [validFrom, validTo)')
  }
  const [from, to] = encodeWindow(context, validFrom, validTo, 'aggregate')
  if (where !== undefined && typeof where !== 'function') {
    throw new InvalidInputError(`aggregate: where must be a Kysely filter such as (eb) => eb('status', '=', 'active'), got ${describeValue(where)}`)
  }
  if (count !== undefined && typeof count !== 'boolean') {
    throw new InvalidInputError(`aggregate: count must be true or false, got ${describeValue(count)}`)
  }
  if (count !== true && sum === undefined) {
    throw new InvalidInputError("aggregate: nothing to compute; ask for count: true, sum: '<numeric value column>', or both")
  }
  const summed = sum === undefined ? undefined : column(context.values, sum, 'sum', 'a value column')
  if (summed !== undefined && !SUMMABLE.test(summed.column.type)) {
    throw new InvalidInputError(`aggregate: sum: "${summed.column.name}" is ${summed.column.type}, not a number; sum a numeric, integer or floating-point value column`)
  }
  return Object.freeze({
    validFrom: from ?? '',
    validTo: to ?? '',
    knownAt: knownAt === undefined ? null : toKnownAt(knownAt, 'aggregate: knownAt'),
    where: where as AggregateFilter | undefined,
    count: count === true,
    sum: summed,
    groupBy: groupBy === undefined ? undefined : column([...context.keys, ...context.values], groupBy, 'groupBy', 'a key or value column'),
  })
}

function column(codecs: readonly ColumnCodec[], name: unknown, option: string, expected: string): ColumnCodec {
  const found = codecs.find((codec) => codec.column.name === name)
  if (found === undefined) {
    const names = codecs.map((codec) => codec.column.name).join(', ')
    throw new InvalidInputError(`aggregate: ${option} must name ${expected} of the table (${names}), got ${describeValue(name)}`)
  }
  return found
}
