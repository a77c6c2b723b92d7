import { AUDIT, type TableSqlContext } from '../statement/table-sql-context.js'
import { quoteIdentifier } from '../schema/identifier.js'
import { textParameter } from '../values/text-parameter.js'

/** The two statements of `repo.changes`: over all keys, and for one key. */
export interface ChangesStatements {
  /** Parameters: `$1` since, `$2` until (null: unbounded). */
  readonly all: string
  /** Parameters: `$1 … $k` the key, then since and until. */
  readonly key: string
}

/**
 * The audit read: every version asserted (inserted) or retracted (closed)
 * in the system-time interval `[since, until)`, one statement, ordered by
 * system time, then key, then effective start (a retraction before the
 * assertions that replace it), then effective end.
 *
 * Over all keys, for the tax-rate table (abridged):
 *
 * ```sql
 * select c.kind, bitemporal.format_system_time(c.at) as system_time,
 *        (c.v)."state_id"::text as k0, (c.v)."tax_type"::text as k1, (c.v)."rate"::text as v0,
 *        to_char(lower((c.v)."effective"), 'YYYY-MM-DD') as effective_from, …
 * from (
 *   select 'asserted' as kind, lower(t."system") as at, (t.*)::"tax_rates" as v
 *   from "tax_rates" as t
 *   where lower(t."system") >= ($1::text::timestamptz at time zone 'UTC')
 *     and lower(t."system") < coalesce(($2::text::timestamptz at time zone 'UTC'), 'infinity')
 *   union all
 *   select 'retracted', upper(t."system"), (t.*)::"tax_rates"
 *   from "tax_rates" as t
 *   where not upper_inf(t."system")
 *     and upper(t."system") >= ($1::text::timestamptz at time zone 'UTC')
 *     and upper(t."system") < coalesce(($2::text::timestamptz at time zone 'UTC'), 'infinity')
 * ) as c
 * order by c.at, (c.v)."state_id", (c.v)."tax_type", lower((c.v)."effective"), c.kind = 'asserted', upper((c.v)."effective")
 * ```
 *
 * Each branch is a range scan of one btree index of the table: `_asserted`
 * on `lower(system)`, `_retracted` on `upper(system)` (partial: closed rows
 * only, which is why the branch repeats `not upper_inf`). For one key, each
 * branch also says `t."state_id" = $1 … and t."system" && <interval>`, which
 * the GiST index behind the exclusion constraint answers; the retraction
 * branch widens the interval by one microsecond at the start because a row
 * closed exactly at `since`, `[…, since)`, does not overlap `[since, …)`.
 *
 * Each row travels whole (`(t.*)::"tax_rates" as v`, a composite) so the statement's own
 * column names (`kind`, `at`) can never collide with a table's columns.
 * On audited tables an assertion carries `recorded_by`/`recorded_reason`
 * and a retraction `closed_by`/`closed_reason`, as `actor` and `reason`.
 */
export function changesStatements(context: TableSqlContext): ChangesStatements {
  return Object.freeze({ all: changesSql(context, false), key: changesSql(context, true) })
}

function changesSql(context: TableSqlContext, keyed: boolean): string {
  const { table, effective: E, system: S } = context
  const first = keyed ? context.keys.length + 1 : 1
  const since = `(${textParameter(first, 'timestamptz')} at time zone 'UTC')`
  const until = `(${textParameter(first + 1, 'timestamptz')} at time zone 'UTC')`
  const end = `coalesce(${until}, 'infinity')`
  // For one key the GiST index (key, effective, system) narrows both branches to that key's rows near the interval.
  const keyFilter = (start: string): string =>
    keyed ? `\n    and ${context.keyMatches('t')}\n    and t.${S} && tsrange(${start}, ${until}, '[)')` : ''
  // `(t.*)`, not a bare `t`: a table with a column named t would give that column instead of the row.
  const whole = `(t.*)::${table}`
  const audit = (by: string, reason: string): string => (context.audit ? `, t.${by} as actor, t.${reason} as reason` : '')
  const asserted = `  select 'asserted' as kind, lower(t.${S}) as at, ${whole} as v${audit(AUDIT.recordedBy, AUDIT.recordedReason)}
  from ${table} as t
  where lower(t.${S}) >= ${since}
    and lower(t.${S}) < ${end}${keyFilter(since)}`
  const retracted = `  select 'retracted', upper(t.${S}), ${whole}${audit(AUDIT.closedBy, AUDIT.closedReason)}
  from ${table} as t
  where not upper_inf(t.${S})
    and upper(t.${S}) >= ${since}
    and upper(t.${S}) < ${end}${keyFilter(`${since} - interval '1 microsecond'`)}`
  const row = '(c.v)'
  const columns = [
    'c.kind',
    'bitemporal.format_system_time(c.at) as system_time',
    ...context.keys.map((k, i) => `${k.output(row)} as k${String(i)}`),
    ...context.values.map((v, i) => `${v.output(row)} as v${String(i)}`),
    `${context.formatPoint(`lower(${row}.${E})`)} as effective_from`,
    `${context.formatPoint(`upper(${row}.${E})`)} as effective_to`,
    ...(context.audit ? ['c.actor', 'c.reason'] : []),
  ]
  const order = [
    'c.at',
    ...context.keys.map((k) => `${row}.${quoteIdentifier(k.column.name)}`),
    `lower(${row}.${E})`,
    // false sorts first: what a write retracts comes before what it asserts in its place.
    `c.kind = 'asserted'`,
    `upper(${row}.${E})`,
  ]
  return `-- bitemporal changes on ${table}
select ${columns.join(', ')}
from (
${asserted}
  union all
${retracted}
) as c
order by ${order.join(', ')}`
}
