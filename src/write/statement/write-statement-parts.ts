import type { TableSqlContext } from '../../repository/table-sql-context.js'
import { keyLockSql } from '../../schema/key-lock-sql.js'
import { quoteIdentifier } from '../../schema/identifier.js'
import type { WriteOperation } from '../write-operation.js'
import { type ValueParameters, type WriteParameterSlots, writeParameterSlots } from '../write-parameters.js'
import { type OperationShape, WRITE_OPERATIONS } from './write-operations.js'

/**
 * Where a write runs. A write outside a transaction is a transaction of its
 * own, so it cannot meet rows its own transaction inserted earlier, and its
 * statement leaves out the step that replaces them (a DELETE whose set-up
 * alone costs a noticeable part of a write).
 */
export type WriteScope = 'statement' | 'transaction'

/** Which of an operation's statements: the text differs by where the write runs and whether it carries `expect`. */
export interface WriteVariant {
  /** Default: `'transaction'`. */
  readonly scope?: WriteScope
  /**
   * Whether the statement checks the optimistic `expect`. Without it the
   * check's subquery is left out rather than skipped: PostgreSQL sets up
   * every subquery of a plan on each execution, whether it runs or not.
   * Default: `true`.
   */
  readonly expect?: boolean
}

/** The transaction's system time, as every step spells it. */
export const SYSTEM_TIME = 'bitemporal.system_time()'

/** Whether the verdict let the write go ahead: the condition every writing step carries. */
export const VERDICT_OK = "(select v.state = 'ok' from verdict v)"

/**
 * What the steps of one write statement share: the table, the operation's
 * shape, the numbered parameters and the SQL expressions several steps
 * spell the same way. Built once per statement by {@link writeStatementParts}.
 */
export interface WriteStatementParts {
  readonly context: TableSqlContext
  readonly operation: WriteOperation
  readonly shape: OperationShape
  readonly scope: WriteScope
  /** Whether the statement checks `expect`. */
  readonly checksExpect: boolean
  readonly parameters: WriteParameterSlots
  /** The target parameter, cast to a point or a range as the operation takes it. */
  readonly target: string
  /** The portion as a range: the target, or `(select p.bt$range from portion p)` when derived. */
  readonly portion: string
  /** The key parameters, typed: `$1::text::integer`, `$2::text`. */
  readonly keyParameters: readonly string[]
  readonly keyColumns: readonly string[]
  readonly valueColumns: readonly string[]
  /** `t."state_id" = $1::text::integer and t."tax_type" = $2::text` for the alias given. */
  keyMatches(alias: string): string
  /** The key's advisory lock number ({@link writeKeyLockSql}). */
  readonly keyLock: string
  /** The versions replaced: `closed` and, inside a transaction, those of its own it deleted too (`replaced`). */
  readonly replacedRows: 'closed' | 'replaced'
  /**
   * A value column's value after the write, over a version aliased `alias`:
   * the parameter when given, else the version's own value (`patch`) or the
   * column's default (`replace`).
   */
  newValue(column: ValueParameters, alias: string): string
}

export function writeStatementParts(context: TableSqlContext, operation: WriteOperation, variant: WriteVariant): WriteStatementParts {
  const { scope = 'transaction', expect = true } = variant
  const shape = WRITE_OPERATIONS[operation]
  const parameters = writeParameterSlots(context)
  const target = parameters.target.as(shape.reach === 'range' ? context.rangeType : context.pointType)
  const valueColumns = context.values.map((codec) => quoteIdentifier(codec.column.name))
  const newValue = (column: ValueParameters, alias: string): string => {
    const otherwise = shape.newValues === 'patch' ? `${alias}.${quoteIdentifier(column.codec.column.name)}` : (column.codec.column.default ?? 'null')
    return `case when ${column.present.as('boolean')} then ${column.value.as(column.codec.parameterType)} else ${otherwise} end`
  }
  const keyColumns = parameters.key.map((key) => quoteIdentifier(key.codec.column.name))
  const keyParameters = parameters.key.map((key) => key.parameter.as(key.codec.parameterType))
  return Object.freeze({
    context,
    operation,
    shape,
    scope,
    checksExpect: expect,
    parameters,
    target,
    portion: shape.portion === 'target' ? target : '(select p.bt$range from portion p)',
    keyParameters,
    keyColumns,
    keyMatches: (alias: string) =>
      parameters.key.map((key) => `${alias}.${quoteIdentifier(key.codec.column.name)} = ${key.parameter.as(key.codec.parameterType)}`).join(' and '),
    valueColumns,
    keyLock: writeKeyLockSql(context, parameters),
    replacedRows: scope === 'statement' ? 'closed' : 'replaced',
    newValue,
  })
}

/**
 * The number of a key's transaction-level advisory lock, from the write's
 * key parameters ({@link keyLockSql} in src/schema/key-lock-sql.ts). A write
 * that finds it taken retries once its holder has finished, so two writes to
 * one key never both rely on a snapshot taken while the other was in progress.
 *
 * ```sql
 * hash_record_extended(row('"tax_rates"'::regclass::oid, $1::text::integer, $2::text), 0)
 * ```
 */
export function writeKeyLockSql(context: TableSqlContext, parameters: WriteParameterSlots = writeParameterSlots(context)): string {
  return keyLockSql(
    context.definition,
    parameters.key.map((key) => ({ expression: key.parameter.as(key.codec.parameterType), parameterType: key.codec.parameterType })),
  )
}
