import { AUDIT, type TableSqlContext } from '../repository/table-sql-context.js'
import { quoteIdentifier } from '../schema/identifier.js'
import type { WriteOperation } from './write-operation.js'

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

/**
 * The one statement a write sends: it locks the current versions it may
 * replace, works out the rows that replace them, closes (or, for rows this
 * transaction inserted itself, deletes) what changes, and inserts the
 * replacements — or does nothing, if nothing would change. Every value is a
 * parameter; the text depends only on the table and the operation, so it is
 * built once per table.
 *
 * How the statement stays correct under READ COMMITTED: it takes the key's
 * advisory lock, and if another transaction holds it, waits for that one to
 * end and raises SQLSTATE 40001 so the write runs again on a fresh snapshot.
 * `seen` counts the
 * rows of the statement's snapshot and `locked` the rows it could lock. A row
 * that a concurrent transaction closed while this one waited for its lock is
 * skipped by `FOR UPDATE`; the counts then differ, and the statement raises
 * SQLSTATE 40001 instead of writing around rows it never saw. So does a row
 * whose system time starts after this transaction's (a later transaction
 * committed first). The write is then retried as a whole.
 *
 * For the tax-rate table and `set` with both bounds, the statement reads:
 *
 * ```sql
 * with
 * locked as materialized (          -- the current versions the write may replace, locked
 *   select t.ctid as row_id, <own>, t."state_id", t."tax_type", t."rate", t."effective", t."system"
 *   from "tax_rates" as t
 *   where t."state_id" = $1::integer and t."tax_type" = $2::text
 *     and upper_inf(t."system") and t."effective" && $3::daterange
 *   for update of t),
 * seen as (…the same rows, counted without locks…),
 * portion as (select $3::daterange as r),
 * proposed as (select l.*, <the values each would have inside the portion> from locked l),
 * changed as (select * from proposed where (old values) is distinct from (new values)),
 * checks as (…lost race? stale? outdated `expect`?…),
 * closed as (update … set "system" = tsrange(lower("system"), bitemporal.system_time()) … returning 1),
 * removed as (delete … rows this transaction inserted itself … returning 1),
 * new_rows as (leftovers before the portion ∪ leftovers after it ∪ the portion's new rows),
 * inserted as (insert into "tax_rates" (…) select … from new_rows … returning 1)
 * select …, bitemporal.format_system_time(bitemporal.system_time()) as system_time
 * ```
 */
export function writeSql(context: TableSqlContext, operation: WriteOperation, scope: WriteScope = 'transaction'): string {
  const layout = writeParameterLayout(context)
  const { table, effective: E, system: S, rangeType, multirangeType, pointType } = context
  const p = (n: number | undefined): string => `$${String(n)}`
  const target = operation === 'setFrom' || operation === 'correct' ? `${p(layout.target)}::${pointType}` : `${p(layout.target)}::${rangeType}`
  const keyColumns = context.keys.map((k) => quoteIdentifier(k.column.name))
  const valueColumns = context.values.map((v) => quoteIdentifier(v.column.name))
  const present = (i: number): string => `${p(layout.firstValue + 2 * i)}::boolean`
  const value = (i: number): string => `${p(layout.firstValue + 2 * i + 1)}::${context.values[i]?.parameterType ?? 'text'}`
  const fallback = (i: number, alias: string | undefined): string =>
    alias !== undefined ? `${alias}.${valueColumns[i] ?? ''}` : (context.values[i]?.column.default ?? 'null')
  // set and insert give the entity exactly these values (omitted: the column's default, else null);
  // update and correct patch the old ones.
  const replaces = operation === 'insert' || operation === 'set' || operation === 'setFrom'
  const newValue = (i: number, alias: string): string =>
    `case when ${present(i)} then ${value(i)} else ${fallback(i, replaces ? undefined : alias)} end`
  const newValues = (alias: string): string[] => context.values.map((_, i) => newValue(i, alias))

  const current = `${context.keyMatches('t')} and upper_inf(t.${S})`
  // One transaction-level advisory lock per key: a write that finds it taken
  // retries once its holder has finished, so two writes to one key never
  // both rely on a snapshot taken while the other was in progress. The key
  // is hashed from its JSON text, which is the same in every session.
  const keyLock = `hashtextextended('${table}' || jsonb_build_array(${context.keys.map((k, i) => `$${String(i + 1)}::${k.parameterType}`).join(', ')})::text, 0)`
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
      ? 'false as own'
      : `case when lower(t.${S}) = bitemporal.system_time()
      then pg_xact_status(((pg_current_xact_id()::text::bigint >> 32) << 32 | t.xmin::text::bigint)::text::xid8) = 'in progress'
      else false end as own`
  const removed =
    scope === 'statement'
      ? ''
      : `
removed as (
  delete from ${table} as t
  where t.ctid = any (array(select c.row_id from changed c where c.own)) and (select ok from go)
  returning 1
),`

  const portion = {
    insert: `select ${target} as r`,
    set: `select ${target} as r`,
    update: `select ${target} as r`,
    delete: `select ${target} as r`,
    // The timeline change: up to the end of the version that covers `from`, or,
    // in a gap, to the start of the next version; unbounded when there is none.
    setFrom: `select ${rangeType}(${target}, case
        when exists (select 1 from locked l where l.${E} @> ${target}) then (select upper(l.${E}) from locked l where l.${E} @> ${target})
        else (select min(lower(l.${E})) from locked l where lower(l.${E}) > ${target}) end, '[)') as r`,
    correct: `select (select l.${E} from locked l) as r`,
  }[operation]

  // Whether a locked version's values change under the write, for rows of `alias` in `proposed`.
  const differs = (alias: string): string =>
    operation === 'delete'
      ? 'true'
      : operation === 'insert' || valueColumns.length === 0
        ? 'false'
        : `(${valueColumns.map((c) => `${alias}.${c}`).join(', ')}) is distinct from (${valueColumns.map((_, i) => `${alias}.new_${String(i)}`).join(', ')})`

  const keyParameters = context.keys.map((k, i) => `${p(i + 1)}::${k.parameterType}`)
  const leftover = (piece: string, condition: string): string =>
    `select ${[...keyColumns, ...valueColumns].map((c) => `c.${c}`).join(', ')}, ${piece} as r
    from changed c, portion p where ${condition}`
  const inside = {
    insert: `select ${[...keyParameters, ...newValues('')].join(', ')}, p.r from portion p where not exists (select 1 from locked)`,
    set: `select ${[...keyParameters, ...newValues('')].join(', ')}, piece
    from portion p, unnest(${multirangeType}(p.r) - coalesce(
      (select range_agg(u.${E}) from proposed u where not (${differs('u')})), '{}'::${multirangeType})) as piece`,
    setFrom: '',
    update: `select ${[...keyColumns.map((c) => `c.${c}`), ...newValues('c')].join(', ')}, c.${E} * p.r from changed c, portion p`,
    correct: `select ${[...keyColumns.map((c) => `c.${c}`), ...newValues('c')].join(', ')}, c.${E} from changed c`,
    delete: undefined,
  }
  inside.setFrom = inside.set

  const auditInsert = context.audit ? `, ${AUDIT.recordedBy}, ${AUDIT.recordedReason}` : ''
  const auditInsertValues = context.audit ? `, ${p(layout.actor)}::text, ${p(layout.reason)}::text` : ''
  const auditClose = context.audit ? `, ${AUDIT.closedBy} = ${p(layout.actor)}::text, ${AUDIT.closedReason} = ${p(layout.reason)}::text` : ''
  const newRows = [
    leftover(`c.${E} * ${rangeType}(null, lower(p.r), '[)')`, `lower(c.${E}) < lower(p.r)`),
    leftover(`c.${E} * ${rangeType}(upper(p.r), null, '[)')`, `not upper_inf(p.r) and (upper_inf(c.${E}) or upper(c.${E}) > upper(p.r))`),
    inside[operation],
  ].filter((part) => part !== undefined)

  return `-- bitemporal ${operation} on ${table}
with
locked as materialized (
  select t.ctid as row_id, ${own}, ${[...keyColumns, ...valueColumns, E, S].map((c) => `t.${c}`).join(', ')}
  from ${table} as t
  where ${current} and ${reach}
  for update of t
),
seen as (
  select count(*) as n from ${table} as t where ${current} and ${reach}
),
portion as (
  ${portion}
),
proposed as (
  select l.*${context.values.map((_, i) => `, ${newValue(i, 'l')} as new_${String(i)}`).join('')}
  from locked l, portion p where l.${E} && p.r
),
changed as (
  select * from proposed p where ${differs('p')}
),
checks as (
  select
    not pg_try_advisory_xact_lock(${keyLock}) as busy,
    (select n from seen) <> (select count(*) from locked) as lost_race,
    -- A version from a transaction that started later and committed first: this
    -- write's system time would come before what it builds on.
    exists (select 1 from locked l where lower(l.${S}) > bitemporal.system_time() or (lower(l.${S}) = bitemporal.system_time() and not l.own)) as stale,
    case when ${p(layout.expect)}::timestamptz is null then false
      else coalesce(${p(layout.expect)}::timestamptz at time zone 'UTC' < (
        select max(greatest(lower(h.${S}), upper(h.${S}))) from ${table} as h where ${context.keyMatches('h')}), false) end as outdated,
    ${operation === 'insert' ? 'exists (select 1 from locked)' : 'false'} as overlapping,
    ${operation === 'correct' ? 'exists (select 1 from locked)' : 'true'} as found
),
go as (
  select not (busy or lost_race or stale or outdated or overlapping) and found as ok from checks
),
closed as (
  update ${table} as t set ${S} = tsrange(lower(t.${S}), bitemporal.system_time(), '[)')${auditClose}
  where t.ctid = any (array(select c.row_id from changed c where not c.own)) and (select ok from go)
  returning 1
),${removed}
new_rows as (
  ${newRows.join('\n  union all\n  ')}
),
inserted as (
  -- Joining the counts makes the closes happen before the inserts, which the exclusion constraint needs.
  insert into ${table} (${[...keyColumns, ...valueColumns, E].join(', ')}${auditInsert})
  select n.*${auditInsertValues}
  from new_rows n, (select count(*) from closed) as after_close${scope === 'statement' ? '' : ', (select count(*) from removed) as after_remove'}
  where (select ok from go) and not isempty(n.r)
  returning 1
)
select
  case when (select busy or lost_race or stale from checks)
    then bitemporal.raise_concurrent_write('${operation} on ${table}', case when (select busy from checks) then ${keyLock} end)::text end as retry,
  -- Text only: the caller's pg type parsers must not change what the library reads.
  case
    when (select outdated from checks) then 'outdated'
    when (select overlapping from checks) then 'overlapping'
    when not (select found from checks) then 'not_found'
    else 'done' end as outcome,
  ((select count(*) from closed)${scope === 'statement' ? '' : ' + (select count(*) from removed)'})::text as closed,
  (select count(*) from inserted)::text as inserted,
  bitemporal.format_system_time(bitemporal.system_time()) as system_time`
}
