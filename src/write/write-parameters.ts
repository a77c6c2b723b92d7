import type { TableSqlContext } from '../repository/table-sql-context.js'
import type { ColumnCodec } from '../values/column-codec.js'
import { type StatementParameter, StatementParameters } from '../values/statement-parameters.js'

/**
 * The parameters of a write statement, numbered once per table by
 * {@link StatementParameters} in the order {@link writeParameters} lists the
 * values: the key, the target, `expect`, actor and reason (audited tables
 * only), then `present` and `value` per value column. Every statement of a
 * table takes the same list, so one encoder serves all six operations.
 *
 * @example
 * ```ts
 * // tax_rates: key (state_id, tax_type), values rate and note
 * const slots = writeParameterSlots(context)
 * slots.key.map((key) => key.parameter.position) // [1, 2]
 * slots.target.as('daterange')                   // '$3::text::daterange'
 * slots.values[1]?.value.as('text')               // '$9::text' (note)
 * ```
 */
export interface WriteParameterSlots {
  /** The key columns, in definition order. */
  readonly key: readonly { readonly codec: ColumnCodec; readonly parameter: StatementParameter }[]
  /** The portion (`daterange`/`tstzrange`), or a point for `setFrom` and `correct`. */
  readonly target: StatementParameter
  /** The `expect` system time as text, or null. */
  readonly expect: StatementParameter
  /** Who writes and why, on tables with `audit: true`. */
  readonly audit: { readonly actor: StatementParameter; readonly reason: StatementParameter } | undefined
  /** Per value column: whether the write gives it (`boolean`), then the value. */
  readonly values: readonly ValueParameters[]
}

/** A value column's two parameters: whether the write gives it, and the value. */
export interface ValueParameters {
  readonly codec: ColumnCodec
  /** Index among the value columns: the `n` of `bt$new_n`. */
  readonly index: number
  readonly present: StatementParameter
  readonly value: StatementParameter
}

export function writeParameterSlots(context: TableSqlContext): WriteParameterSlots {
  const parameters = new StatementParameters()
  const key = context.keys.map((codec) => ({ codec, parameter: parameters.reserve() }))
  const target = parameters.reserve()
  const expect = parameters.reserve()
  const audit = context.audit ? { actor: parameters.reserve(), reason: parameters.reserve() } : undefined
  const values = context.values.map((codec, index) => ({ codec, index, present: parameters.reserve(), value: parameters.reserve() }))
  return Object.freeze({ key: Object.freeze(key), target, expect, audit, values: Object.freeze(values) })
}

/** Where each parameter of a write statement sits ({@link writeParameterSlots} as positions). */
export interface WriteParameterLayout {
  /** `$1 … $k`: the key columns, in definition order. */
  readonly keyCount: number
  /** The portion (`daterange`/`tstzrange`), or a point for `setFrom` and `correct`. */
  readonly target: number
  /** The `expect` system time, or null. */
  readonly expect: number
  /** Actor and reason, on tables with `audit: true`. */
  readonly actor: number | undefined
  readonly reason: number | undefined
  /** For each value column: `$present` (boolean) then `$value`; this is the first column's `$present`. */
  readonly firstValue: number
}

export function writeParameterLayout(context: TableSqlContext): WriteParameterLayout {
  const slots = writeParameterSlots(context)
  // With no value columns, firstValue is where the first would be: after expect or the audit pair.
  const lastBeforeValues = slots.audit?.reason ?? slots.expect
  return Object.freeze({
    keyCount: slots.key.length,
    target: slots.target.position,
    expect: slots.expect.position,
    actor: slots.audit?.actor.position,
    reason: slots.audit?.reason.position,
    firstValue: slots.values[0]?.present.position ?? lastBeforeValues.position + 1,
  })
}

/** The values of one write's parameters, each already checked and encoded. */
export interface WriteParameterValues {
  readonly key: readonly unknown[]
  readonly target: unknown
  readonly expect: string | null
  /** `[actor, reason]` on audited tables, else empty. */
  readonly audit: readonly unknown[]
  /** `[given, value]` per value column. */
  readonly values: readonly unknown[]
}

/** The parameter list in the order {@link writeParameterSlots} numbers it. */
export function writeParameters(parts: WriteParameterValues): unknown[] {
  return [...parts.key, parts.target, parts.expect, ...parts.audit, ...parts.values]
}
