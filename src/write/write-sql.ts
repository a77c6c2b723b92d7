import { AUDIT, type TableSqlContext } from '../statement/table-sql-context.js'
import { keyChangedSql } from '../schema/changed-after-sql.js'
import { keyLockSql } from '../schema/key-lock-sql.js'
import { entityTableNames } from '../schema/entity-table-sql.js'
import { quoteIdentifier } from '../schema/identifier.js'
import type { WriteOperation } from './write-operation.js'
import { textParameter } from '../values/text-parameter.js'

/**
 * Where each parameter of a write statement sits. Every statement of a table
 * takes the same list, so one encoder serves all six operations.
 */
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
  /** For each value column: `$present` (boolean) then `$value`. */
  readonly firstValue: number
}

/**
 * The number of a key's transaction-level advisory lock, from the write's
 * key parameters ({@link keyLockSql} in src/schema/key-lock-sql.ts). A write
 * that finds it taken retries once its holder has finished, so two writes to
 * one key never both rely on a snapshot taken while the other was in progress.
 *
 * ```sql
 * hash_record_extended(row('"public"."tax_rates"'::regclass::oid, $1::text::integer, $2::text), 0)
 * ```
 */
export function writeKeyLockSql(context: TableSqlContext): string {
  return keyLockSql(
    context.definition,
    context.keys.map((k, i) => ({ expression: textParameter(i + 1, k.parameterType), parameterType: k.parameterType })),
  )
}

export function writeParameterLayout(context: TableSqlContext): WriteParameterLayout {
  const keyCount = context.keys.length
  const audit = context.audit
  return Object.freeze({
    keyCount,
    target: keyCount + 1,
    expect: keyCount + 2,
    actor: audit ? keyCount + 3 : undefined,
    reason: audit ? keyCount + 4 : undefined,
    firstValue: keyCount + (audit ? 5 : 3),
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

/** The parameter list in the order {@link writeParameterLayout} numbers it. */
export function writeParameters(parts: WriteParameterValues): unknown[] {
  return [...parts.key, parts.target, parts.expect, ...parts.audit, ...parts.values]
}

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

/**
 * The one statement a write sends: it finds the current versions it may
 * replace, works out the rows that replace them, closes (or, for rows this
 * transaction inserted itself, deletes) what changes, and inserts the
 * replacements — or does nothing, if nothing would change. Every value is a
 * parameter; the text depends only on the table and the operation, so it is
 * built once per table.
 *
 * How the statement stays correct under READ COMMITTED (docs/semantics.md §6):
 * `found` reads the current versions in reach from the statement's
 * snapshot. `verdict` then takes the key's advisory lock; if another
 * transaction holds it, the statement waits for that one to end and raises
 * SQLSTATE 40001, so the write runs again on a fresh snapshot. With the lock
 * held, it asks whether the key is still as found ({@link keyChangedSql}):
 * if the current versions in reach are no longer exactly the row versions
 * `found` saw (a writer committed between the snapshot and the lock), or a
 * transaction that started later has written the key, the statement raises
 * 40001 too. Otherwise nobody can change the key until this
 * transaction ends (every writer needs the lock), so the statement closes
 * and inserts without row locks of its own; a close that still finds its
 * row changed (a writer that bypassed the lock) makes the statement raise
 * rather than write around it. So does a found row whose system time starts
 * after this transaction's (a later transaction committed first). The steps
 * of `verdict` are one CASE, which PostgreSQL evaluates in order, so the
 * re-check runs only once the lock is held.
 *
 * For the tax-rate table and `update`, the statement reads:
 *
 * ```sql
 * with
 * found as materialized (            -- the current versions in reach, with the values they would get
 *   select t.ctid as bt$row, <own> as bt$own, t."state_id", t."tax_type", t."rate", t."effective", t."system",
 *     case when $6::text::boolean then $7::text::numeric else t."rate" end as bt$new_0,
 *     t."rate"::text is distinct from (…bt$new_0…)::text as bt$changes
 *   from "tax_rates" as t
 *   where t."state_id" = $1::text::integer and t."tax_type" = $2::text
 *     and upper_inf(t."system") and lower(t."effective") < … and …),
 * verdict as materialized (
 *   select case
 *       when not pg_try_advisory_xact_lock(<hash of the key>) then 'busy'
 *       when <a found row starts at or after T> then 'stale'
 *       when <the key changed since the snapshot: keyChangedSql> then 'changed'
 *       when <expect given, and the key changed after it> then 'outdated'
 *       else 'ok' end as state,
 *     count(*) filter (where <the row will be closed>) as closing
 *   from found f),
 * closed as (update "tax_rates" as t set "system" = tsrange(lower(t."system"), bitemporal.system_time(), '[)')
 *   from found l where t.ctid = l.bt$row and <it changes and overlaps the portion> and <verdict ok> returning l.*),
 * removed as (delete … rows this transaction inserted itself … returning l.*),
 * replaced as (select * from closed union all select * from removed),
 * inserted as (insert into "tax_rates" (…) select … from (leftovers before the portion
 *   ∪ leftovers after it ∪ the portion's new rows) … where <verdict ok> returning 1)
 * -- only with entity: true:
 * entity_row as (insert into "tax_rates_entity" ("state_id", "tax_type") select $1::text::integer, $2::text
 *   where exists (select 1 from inserted) on conflict do nothing)
 * select <raise 40001 if busy, stale, changed, or a close missed its row>, <outcome>,
 *   <rows closed>, <rows inserted>, bitemporal.format_system_time(bitemporal.system_time()) as system_time
 * from verdict v
 * ```
 *
 * The operations differ in what they find and insert; `set` without `to`
 * and `correct` add a `portion` step that derives the portion from the
 * versions found. A write outside a transaction has no `removed` step.
 */
export function writeSql(context: TableSqlContext, operation: WriteOperation, variant: WriteVariant = {}): string {
  const { scope = 'transaction', expect = true } = variant
  const layout = writeParameterLayout(context)
  const { table, effective: E, system: S, rangeType, multirangeType, pointType } = context
  const p = (n: number | undefined): string => `$${String(n)}`
  const target = textParameter(layout.target, operation === 'setFrom' || operation === 'correct' ? pointType : rangeType)
  const keyColumns = context.keys.map((k) => quoteIdentifier(k.column.name))
  const valueColumns = context.values.map((v) => quoteIdentifier(v.column.name))
  const present = (i: number): string => textParameter(layout.firstValue + 2 * i, 'boolean')
  const value = (i: number): string => textParameter(layout.firstValue + 2 * i + 1, context.values[i]?.parameterType ?? 'text')
  const fallback = (i: number, alias: string | undefined): string =>
    alias !== undefined ? `${alias}.${valueColumns[i] ?? ''}` : (context.values[i]?.column.default ?? 'null')
  // set and insert give the entity exactly these values (omitted: the column's default, else null);
  // update and correct patch the old ones.
  const replaces = operation === 'insert' || operation === 'set' || operation === 'setFrom'
  const newValue = (i: number, alias: string): string =>
    `case when ${present(i)} then ${value(i)} else ${fallback(i, replaces ? undefined : alias)} end`
  const newValues = (alias: string): string[] => context.values.map((_, i) => newValue(i, alias))

  const current = `${context.keyMatches('t')} and upper_inf(t.${S})`
  const keyLock = writeKeyLockSql(context)
  // The current versions the write may touch, spelled with bounds rather
  // than range operators so that the partial btree index of current rows by
  // (key, lower(effective)) serves them (effective is always [from, to)).
  const endsAfter = (point: string): string => `(upper_inf(t.${E}) or upper(t.${E}) > ${point})`
  const reach =
    operation === 'setFrom'
      ? endsAfter(target)
      : operation === 'correct'
        ? `lower(t.${E}) <= ${target} and ${endsAfter(target)}`
        : `lower(t.${E}) < coalesce(upper(${target}), 'infinity') and ${endsAfter(`lower(${target})`)}`
  const own =
    scope === 'statement'
      ? 'false'
      : `case when lower(t.${S}) = bitemporal.system_time()
      then bitemporal.is_own_row(t.xmin)
      else false end`

  // The portion is the target parameter itself, except where it depends on
  // the versions found: the timeline change runs to the end of the version
  // that covers `from` or, in a gap, to the start of the next version
  // (unbounded when there is none); a correction covers its version.
  const derivedPortion = {
    setFrom: `select ${rangeType}(${target}, case
        when exists (select 1 from found l where l.${E} @> ${target}) then (select upper(l.${E}) from found l where l.${E} @> ${target})
        else (select min(lower(l.${E})) from found l where lower(l.${E}) > ${target}) end, '[)') as bt$range`,
    correct: `select (select l.${E} from found l) as bt$range`,
  }
  const portion = operation === 'setFrom' || operation === 'correct' ? derivedPortion[operation] : undefined
  const R = portion === undefined ? target : '(select p.bt$range from portion p)'

  // Whether a found version's values change under the write.
  const changes =
    operation === 'delete'
      ? 'true'
      : operation === 'insert' || valueColumns.length === 0
        ? 'false'
        : context.values.map((v, i) => v.differs(`t.${quoteIdentifier(v.column.name)}`, newValue(i, 't'))).join(' or ')

  const keyParameters = context.keys.map((k, i) => textParameter(i + 1, k.parameterType))
  // The versions replaced: those closed and, inside a transaction, those of its own it deleted.
  const replacedRows = scope === 'statement' ? 'closed' : 'replaced'
  const replacedValues = [...keyColumns, ...valueColumns].map((c) => `c.${c}`)
  const patchedValues = [...keyColumns, ...context.values.map((_, i) => `bt$new_${String(i)}`)].map((c) => `c.${c}`)
  const leftover = (piece: string, condition: string): string =>
    `select ${replacedValues.join(', ')}, ${piece} from ${replacedRows} c where ${condition}`
  // The portion's own rows. Leftovers and patched rows come from the
  // versions replaced, each inside its version's range, so each is inserted
  // after its version was closed; `set` fills the portion, across versions
  // and gaps, so it first waits for every close (`after_close`).
  const inside = {
    insert: `select ${[...keyParameters, ...newValues('')].join(', ')}, ${R}`,
    set: `select ${[...keyParameters, ...newValues('')].join(', ')}, piece
    from unnest(${multirangeType}(${R}) - coalesce(
      (select range_agg(l.${E}) from found l where not l.bt$changes), '{}'::${multirangeType})) as piece,
      (select count(*) from ${replacedRows}) as after_close`,
    setFrom: '',
    update: `select ${patchedValues.join(', ')}, c.${E} * ${R} from ${replacedRows} c`,
    correct: `select ${patchedValues.join(', ')}, c.${E} from ${replacedRows} c`,
    delete: undefined,
  }
  inside.setFrom = inside.set
  const newRows = [
    operation === 'insert' ? undefined : leftover(`c.${E} * ${rangeType}(null, lower(${R}), '[)')`, `lower(c.${E}) < lower(${R})`),
    operation === 'insert'
      ? undefined
      : leftover(`c.${E} * ${rangeType}(upper(${R}), null, '[)')`, `not upper_inf(${R}) and (upper_inf(c.${E}) or upper(c.${E}) > upper(${R}))`),
    inside[operation],
  ].filter((part) => part !== undefined)

  const auditInsert = context.audit ? `, ${AUDIT.recordedBy}, ${AUDIT.recordedReason}` : ''
  const auditInsertValues = context.audit ? `, ${p(layout.actor)}::text, ${p(layout.reason)}::text` : ''
  const auditClose = context.audit ? `, ${AUDIT.closedBy} = ${p(layout.actor)}::text, ${AUDIT.closedReason} = ${p(layout.reason)}::text` : ''
  // The versions the write replaces: found, overlapping the portion, with values that change.
  const replacing = `t.ctid = l.bt$row and l.bt$changes and l.${E} && ${R}`
  const ok = "(select v.state = 'ok' from verdict v)"
  // The valid time `found` reaches, as one range: what changedAfterSql looks at again.
  const reachRange =
    operation === 'setFrom'
      ? `${rangeType}(${target}, null, '[)')`
      : operation === 'correct'
        ? `${rangeType}(${target}, ${target}, '[]')`
        : target
  const removed =
    scope === 'statement'
      ? ''
      : `
removed as (
  delete from ${table} as t using found l
  where ${replacing} and l.bt$own and ${ok}
  returning l.*
),`
  const replaced =
    scope === 'statement'
      ? ''
      : `
replaced as (
  select * from closed union all select * from removed
),`
  const systemTime = 'bitemporal.system_time()'
  // Tables with an entity table: the key's entity row, if this is its first
  // version. In the same statement, so a write stays one round trip; the
  // versions' foreign key is checked at the statement's end, when the row
  // is there. Only when something was inserted: a write that changes
  // nothing leaves no entity behind.
  const entity = context.definition.entity
    ? `,
entity_row as (
  insert into ${entityTableNames(context.definition).table} (${keyColumns.join(', ')})
  select ${keyParameters.join(', ')}
  where exists (select 1 from inserted)
  on conflict do nothing
)`
    : ''

  const outdated = expect
    ? `
      when ${textParameter(layout.expect, 'text')} is not null and ${textParameter(layout.expect, 'timestamptz')} at time zone 'UTC' < (
        select max(greatest(lower(h.${S}), upper(h.${S}))) from ${table} as h where ${context.keyMatches('h')}) then 'outdated'`
    : ''
  // insert and correct refuse, writing nothing, when a version is in the way or none is there.
  const refusal =
    operation === 'insert' ? `\n      when count(*) > 0 then 'overlapping'` : operation === 'correct' ? `\n      when count(*) = 0 then 'not_found'` : ''

  return `-- bitemporal ${operation} on ${table}
with
found as materialized (
  select t.ctid as bt$row, ${own} as bt$own, ${[...keyColumns, ...valueColumns, E, S].map((c) => `t.${c}`).join(', ')}${context.values
    .map((_, i) => `, ${newValue(i, 't')} as bt$new_${String(i)}`)
    .join('')}, ${changes} as bt$changes
  from ${table} as t
  where ${current} and ${reach}
),${
    portion === undefined
      ? ''
      : `
portion as (
  ${portion}
),`
  }
verdict as materialized (
  select case
      when not pg_try_advisory_xact_lock(${keyLock}) then 'busy'
      -- A version from a transaction that started later and committed first: this
      -- write's system time would come before what it builds on.
      when coalesce(bool_or(lower(f.${S}) > ${systemTime} or (lower(f.${S}) = ${systemTime} and not f.bt$own)), false) then 'stale'
      -- With the key's lock held: is the key still as found, and has no
      -- transaction that started later written it? (See keyChangedSql.)
      when ${keyChangedSql(context.definition, { key: keyParameters, t: systemTime, reach: reachRange, seen: 'count(*)', found: 'array_agg(f.bt$row)' })} then 'changed'${outdated}${refusal}
      else 'ok' end as state,
    count(*) filter (where f.bt$changes and f.${E} && ${R} and not f.bt$own) as closing${expect ? '' : `,
    -- Typed, so that both variants take the same parameters; null here.
    ${textParameter(layout.expect, 'timestamptz')} as bt$expect`}
  from found f
),
closed as (
  update ${table} as t set ${S} = tsrange(lower(t.${S}), ${systemTime}, '[)')${auditClose}
  from found l
  where ${replacing} and not l.bt$own and ${ok}
  returning l.*
),${removed}${replaced}
inserted as (
  insert into ${table} (${[...keyColumns, ...valueColumns, E].join(', ')}${auditInsert})
  select n.*${auditInsertValues}
  from (
  ${newRows.join('\n  union all\n  ')}
  ) as n (${[...keyColumns, ...valueColumns].join(', ')}, bt$range)
  where ${ok} and not isempty(n.bt$range)
  returning 1
)${entity}
select
  -- A close that met its row changed after all (by a writer that bypassed the
  -- key's lock) skipped it: raise rather than write around it.
  case when v.state in ('busy', 'stale', 'changed') or (v.state = 'ok' and r.closed <> v.closing)
    then bitemporal.raise_concurrent_write('${operation} on ${table}', case when v.state = 'busy' then ${keyLock} end)::text end as retry,
  -- Text only: the caller's pg type parsers must not change what the library reads.
  case when v.state in ('outdated', 'overlapping', 'not_found') then v.state else 'done' end as outcome,
  r.replaced::text as closed,
  i.inserted::text as inserted,
  bitemporal.format_system_time(${systemTime}) as system_time
from verdict v,
  (select count(*) as replaced, count(*) filter (where not c.bt$own) as closed from ${replacedRows} c) as r,
  (select count(*) as inserted from inserted) as i`
}
