import { AUDIT, type TableSqlContext } from '../../statement/table-sql-context.js'
import { quoteIdentifier } from '../../schema/identifier.js'
import { textParameter } from '../../values/text-parameter.js'
import { windowSql } from '../read-input.js'

/** The two statements of `repo.diff`: over every key, and for one key. */
export interface DiffStatements {
  /** Parameters: `$1` before, `$2` after (null: current knowledge), `$3` valid from, `$4` valid to (null: unbounded). */
  readonly all: string
  /** Parameters: `$1 … $k` the key, then before, after, valid from and valid to. */
  readonly key: string
}

/**
 * The restatement read: where, in valid time, the timeline known at
 * `before` differs from the one known at `after`, one statement per form.
 *
 * 1. `changed` (every-key form only): the keys with a row asserted or
 *    retracted in `(before, after]`, the only rows whose membership in the
 *    two timelines can differ. Two range scans of the btrees of changes,
 *    `_asserted` on `lower(system)` and `_retracted` on `upper(system)`, so
 *    a day's corrections cost a day's rows, not the table.
 * 2. `versions`: the rows of those keys (or of the one key) whose system
 *    range meets `[before, after]`, each clamped to the valid-time window
 *    and flagged `at_before`/`at_after` (the GiST index behind the exclusion
 *    constraint, by key and `system &&`).
 * 3. `points` → `pieces`: the effective bounds of the rows of either
 *    timeline cut each key's valid time into pieces on which both timelines
 *    are constant (a sweep with `lead`); each piece looks up the row of each
 *    timeline that contains it (at most one each: invariant 1 of
 *    docs/semantics.md).
 * 4. `different` → `islands` → `merged`: the pieces whose two sides differ
 *    (presence, or a value stored differently), then gaps and islands:
 *    adjacent pieces with the same two sides become one row.
 * 5. On audited tables, `audits`: who asserted or retracted, in
 *    `(before, after]`, a row overlapping each merged row, with why, as a
 *    JSON array ordered by system time.
 *
 * Over every key, for the tax-rate table (the whole statement is
 * test/golden/tax-rates/read/diff-all.sql):
 *
 * ```sql
 * with changed as (
 *   select t."state_id", t."tax_type" from "tax_rates" as t
 *   where lower(t."system") > ($1::text::timestamptz at time zone 'UTC') and lower(t."system") <= coalesce(($2::text::timestamptz at time zone 'UTC'), 'infinity')
 *   union
 *   select t."state_id", t."tax_type" from "tax_rates" as t
 *   where not upper_inf(t."system") and upper(t."system") > ($1::text::timestamptz at time zone 'UTC') and upper(t."system") <= coalesce(($2::text::timestamptz at time zone 'UTC'), 'infinity')
 * ),
 * versions as (
 *   select r.* from changed as c
 *   cross join lateral (
 *     select t."state_id" as key_0, t."tax_type" as key_1, (t.*)::"tax_rates" as v, t."effective" * daterange($3::text::date, $4::text::date, '[)') as clamped,
 *            t."system" @> ($1::text::timestamptz at time zone 'UTC') as at_before, t."system" @> coalesce(($2::text::timestamptz at time zone 'UTC'), 'infinity') as at_after
 *     from "tax_rates" as t
 *     where t."state_id" = c."state_id" and t."tax_type" = c."tax_type"
 *       and t."system" && tsrange(($1::text::timestamptz at time zone 'UTC'), coalesce(($2::text::timestamptz at time zone 'UTC'), 'infinity'), '[]') and t."effective" && daterange($3::text::date, $4::text::date, '[)')
 *     offset 0
 *   ) as r
 * ),
 * …
 * select (m.whole)."state_id"::text as k0, (m.whole)."tax_type"::text as k1, (m.before)."rate"::text as b0, (m.after)."rate"::text as a0, m.before_present::text as before_present, m.after_present::text as after_present, to_char(m.piece_from, 'YYYY-MM-DD') as effective_from, to_char(nullif(m.piece_to, 'infinity'), 'YYYY-MM-DD') as effective_to
 * from merged as m
 * order by m.key_0, m.key_1, m.piece_from
 * ```
 *
 * For one key, `changed` is gone and `versions` reads the key's rows
 * (`t."state_id" = $1::text::integer and t."tax_type" = $2::text and …`).
 */
export function diffStatements(context: TableSqlContext): DiffStatements {
  return Object.freeze({ all: diffSql(context, false), key: diffSql(context, true) })
}

/** What every step of the diff statement needs: the table, its time columns and the statement's parameters, spelled once. */
interface DiffParts {
  readonly context: TableSqlContext
  readonly table: string
  readonly effective: string
  readonly system: string
  /** The `before` instant, as a UTC timestamp. */
  readonly before: string
  /** The `after` instant, or 'infinity' for current knowledge. */
  readonly after: string
  /** The valid-time window, as a range. */
  readonly window: string
  readonly keyColumns: readonly string[]
  /** `x.key_0, x.key_1` for the alias given. */
  readonly list: (alias: string) => string
  /** `l.key_0 = r.key_0 and …` */
  readonly sameKey: (left: string, right: string) => string
  /** Whether the values of two version rows differ, column by column. */
  readonly valuesDiffer: (left: string, right: string) => string
}

function diffParts(context: TableSqlContext, keyed: boolean): DiffParts {
  const first = keyed ? context.keys.length + 1 : 1
  const keyNames = context.keys.map((_, index) => `key_${String(index)}`)
  return {
    context,
    table: context.table,
    effective: context.effective,
    system: context.system,
    before: `(${textParameter(first, 'timestamptz')} at time zone 'UTC')`,
    // No `after`: current knowledge, the rows whose system range is unbounded, which contains 'infinity'.
    after: `coalesce((${textParameter(first + 1, 'timestamptz')} at time zone 'UTC'), 'infinity')`,
    window: windowSql(context, first + 2, first + 3),
    keyColumns: context.keys.map((key) => quoteIdentifier(key.column.name)),
    list: (alias) => keyNames.map((name) => `${alias}.${name}`).join(', '),
    sameKey: (left, right) => keyNames.map((name) => `${left}.${name} = ${right}.${name}`).join(' and '),
    valuesDiffer: (left, right) =>
      context.values.length === 0
        ? 'false'
        : `(${context.values.map((value) => value.differs(`(${left}).${quoteIdentifier(value.column.name)}`, `(${right}).${quoteIdentifier(value.column.name)}`)).join(' or ')})`,
  }
}

/** `changed`: the keys with a version asserted or retracted in `(before, after]`, from the btrees of changes. */
function changedStep(parts: DiffParts): string {
  const { table, system, before, after } = parts
  const changedKeys = (where: string): string => `  select ${parts.keyColumns.map((column) => `t.${column}`).join(', ')} from ${table} as t\n  where ${where}`
  return `changed as (
${changedKeys(`lower(t.${system}) > ${before} and lower(t.${system}) <= ${after}`)}
  union
${changedKeys(`not upper_inf(t.${system}) and upper(t.${system}) > ${before} and upper(t.${system}) <= ${after}`)}
),
`
}

/** `versions`: the rows of either state of knowledge, of one key or of the keys that changed, clamped to the window. */
function versionsStep(parts: DiffParts, keyed: boolean): string {
  const { table, effective, system, before, after, window } = parts
  const select = `select ${parts.keyColumns.map((column, index) => `t.${column} as key_${String(index)}`).join(', ')}, (t.*)::${table} as v, t.${effective} * ${window} as clamped,
         t.${system} @> ${before} as at_before, t.${system} @> ${after} as at_after
  from ${table} as t`
  const near = `t.${system} && tsrange(${before}, ${after}, '[]') and t.${effective} && ${window}`
  if (keyed) {
    return `versions as (
  ${select}
  where ${parts.context.keyMatches('t')}
    and ${near}
)`
  }
  // One probe of the GiST index per changed key. `offset 0` keeps the planner from flattening the
  // subquery into a join, which it would run as a hash join over a sequential scan of the table.
  return `versions as (
  select r.* from changed as c
  cross join lateral (
    ${select.replaceAll('\n', '\n  ')}
    where ${parts.keyColumns.map((column) => `t.${column} = c.${column}`).join(' and ')}
      and ${near}
    offset 0
  ) as r
)`
}

/** On audited tables, `events` and `audits`: who asserted or retracted a version overlapping each merged row, and why. */
function auditsStep(parts: DiffParts): string {
  const { context, system, before, after, list } = parts
  if (!context.audit) return ''
  return `,
events as (
  select ${list('x')}, x.clamped, lower((x.v).${system}) as at, (x.v).${AUDIT.recordedBy} as actor, (x.v).${AUDIT.recordedReason} as reason
  from versions as x where lower((x.v).${system}) > ${before} and lower((x.v).${system}) <= ${after}
  union all
  select ${list('x')}, x.clamped, upper((x.v).${system}), (x.v).${AUDIT.closedBy}, (x.v).${AUDIT.closedReason}
  from versions as x where not upper_inf((x.v).${system}) and upper((x.v).${system}) > ${before} and upper((x.v).${system}) <= ${after}
),
audits as (
  select ${list('m')}, m.island,
         json_agg(json_build_object('systemTime', bitemporal.format_system_time(e.at), 'actor', e.actor, 'reason', e.reason) order by e.at, e.actor, e.reason) as audit
  from merged as m
  join events as e on ${parts.sameKey('e', 'm')} and e.clamped && ${context.rangeType}(m.piece_from, m.piece_to, '[)')
  group by ${list('m')}, m.island
)`
}

/** The columns the statement returns, as text. */
function outputColumns(context: TableSqlContext): string[] {
  return [
    ...context.keys.map((key, index) => `${key.output('(m.whole)')} as k${String(index)}`),
    ...context.values.map((value, index) => `${value.output('(m.before)')} as b${String(index)}`),
    ...context.values.map((value, index) => `${value.output('(m.after)')} as a${String(index)}`),
    // As text, as every column the library reads: drivers differ in how they decode a boolean.
    'm.before_present::text as before_present',
    'm.after_present::text as after_present',
    `${context.formatPoint('m.piece_from')} as effective_from`,
    `${context.formatPoint(`nullif(m.piece_to, 'infinity')`)} as effective_to`,
    ...(context.audit ? ['u.audit::text as audit'] : []),
  ]
}

function diffSql(context: TableSqlContext, keyed: boolean): string {
  const parts = diffParts(context, keyed)
  const { table, list, sameKey, valuesDiffer } = parts
  const changed = keyed ? '' : changedStep(parts)
  const versions = versionsStep(parts, keyed)
  const audits = auditsStep(parts)
  const columns = outputColumns(context)
  const previous = (column: string): string => `lag(d.${column}) over w as previous_${column}`
  return `-- bitemporal diff on ${table}
with ${keyed ? '' : changed}${versions},
points as (
  select ${list('x')}, lower(x.clamped) as point from versions as x where x.at_before or x.at_after
  union
  select ${list('x')}, coalesce(upper(x.clamped), 'infinity') from versions as x where x.at_before or x.at_after
),
pieces as (
  select ${list('p')}, p.point, lead(p.point) over (partition by ${list('p')} order by p.point) as piece_to
  from points as p
),
compared as (
  select ${list('p')}, p.point as piece_from, p.piece_to, b.v as before, a.v as after,
         b.clamped is not null as before_present, a.clamped is not null as after_present
  from pieces as p
  left join versions as b on b.at_before and ${sameKey('b', 'p')} and b.clamped @> p.point
  left join versions as a on a.at_after and ${sameKey('a', 'p')} and a.clamped @> p.point
  where p.piece_to is not null
),
different as (
  select c.* from compared as c
  where c.before_present <> c.after_present or (c.before_present and c.after_present and ${valuesDiffer('c.before', 'c.after')})
),
neighbours as (
  select d.*, ${['piece_to', 'before', 'after', 'before_present', 'after_present'].map(previous).join(', ')}
  from different as d
  window w as (partition by ${list('d')} order by d.piece_from)
),
islands as (
  select n.*,
         count(*) filter (where n.previous_piece_to is distinct from n.piece_from
           or n.previous_before_present is distinct from n.before_present or n.previous_after_present is distinct from n.after_present
           or ${valuesDiffer('n.before', 'n.previous_before')} or ${valuesDiffer('n.after', 'n.previous_after')})
           over (partition by ${list('n')} order by n.piece_from) as island
  from neighbours as n
),
merged as (
  select ${list('i')}, i.island, min(i.piece_from) as piece_from, max(i.piece_to) as piece_to,
         (array_agg(i.before order by i.piece_from))[1] as before, (array_agg(i.after order by i.piece_from))[1] as after,
         bool_or(i.before_present) as before_present, bool_or(i.after_present) as after_present,
         (array_agg(case when i.before_present then i.before else i.after end order by i.piece_from))[1] as whole
  from islands as i
  group by ${list('i')}, i.island
)${audits}
select ${columns.join(', ')}
from merged as m${context.audit ? `\nleft join audits as u on ${sameKey('u', 'm')} and u.island = m.island` : ''}
order by ${list('m')}, m.piece_from`
}
