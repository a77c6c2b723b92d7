import { type Expression, type RawBuilder, type SqlBool, sql } from 'kysely'
import type { TableDefinition } from '../schema/define-table.js'
import { parseQualifiedName } from '../schema/identifier.js'
import { assertDefinition } from '../schema/assert-definition.js'
import { type AsOfInstant, type ResolvedInstant, resolveInstant } from './as-of-instant.js'

/**
 * A condition for `.where()` (or a join's `.on()`) that keeps, of one
 * temporal table in a Kysely query, the versions valid at `validAt` as known
 * at `knownAt`: at most one version per key.
 *
 * The table's definition says which columns hold valid and system time; the
 * optional second argument is the table's alias in the query (`'s'` for
 * `selectFrom('subscriptions as s')`). Without it the condition names the
 * table as the definition does (`"billing"."tax_rates"`), which is what a
 * query without an alias needs. A wrong or missing alias is an error from
 * PostgreSQL ("missing FROM-clause entry"), never a silently unfiltered
 * table.
 *
 * Options, each validated before any SQL is built (`InvalidInputError`):
 * - `validAt`: a day `'YYYY-MM-DD'` or `Date` (an ISO instant on
 *   `effective: 'timestamp'` tables), or `'any'` for every valid time.
 *   Default: today, the UTC day of the server's clock.
 * - `knownAt`: an ISO 8601 instant with `Z` or an offset, or a `Date`
 *   (read as the last microsecond of its millisecond).
 *   Default: current knowledge (`upper_inf(system)`).
 *
 * @example
 * ```ts
 * const at = { validAt: '2024-03-01', knownAt: '2024-04-02T00:00:00Z' }
 * await db.selectFrom('subscriptions as s')
 *   .innerJoin('customers as c', 'c.id', 's.customer_id')
 *   .where(asOf(subscriptions, 's', at))
 *   .where(asOf(customers, 'c', at))
 *   .select((eb) => eb.fn.countAll().as('active'))
 *   .executeTakeFirstOrThrow()
 * ```
 * sends
 * ```sql
 * select count(*) as "active" from "subscriptions" as "s"
 * inner join "customers" as "c" on "c"."id" = "s"."customer_id"
 * where ("s"."system" @> ($1::text::timestamptz at time zone 'UTC') and "s"."effective" @> $2::text::date)
 *   and ("c"."system" @> ($3::text::timestamptz at time zone 'UTC') and "c"."effective" @> $4::text::date)
 * ```
 * and with current knowledge (`{ validAt: '2024-03-01' }`) each condition is
 * `(upper_inf("s"."system") and "s"."effective" @> $1::text::date)`.
 *
 * To restrict every temporal table of a query at once, without naming each
 * one, see {@link asOfPlugin}.
 */
export function asOf(table: TableDefinition, ...rest: [at?: AsOfInstant] | [alias: string, at?: AsOfInstant]): Expression<SqlBool> {
  assertDefinition(table, 'asOf')
  const [alias, at] = typeof rest[0] === 'string' ? [rest[0], rest[1]] : [undefined, rest[0]]
  const name = alias === undefined ? table.table : parseQualifiedName(alias, 'asOf: table or alias')
  const reference = name.schema === undefined ? [name.name] : [name.schema, name.name]
  return asOfCondition(table, reference, resolveInstant(table, at, 'asOf'))
}

/**
 * The as-of restriction of one table reference: the one place its SQL is
 * written, for {@link asOf}, `repo.query` and {@link asOfPlugin}.
 *
 * `reference` is the table or alias as the query names it (`['s']`,
 * `['billing', 'tax_rates']`); every part is quoted with `sql.id`, every
 * instant is a parameter.
 *
 * | instant | SQL (date valid time) |
 * |---|---|
 * | `{}` | `(upper_inf(s."system") and s."effective" @> (now() at time zone 'UTC')::date)` |
 * | `{ validAt }` | `(upper_inf(s."system") and s."effective" @> $1::text::date)` |
 * | `{ validAt, knownAt }` | `(s."system" @> ($1::text::timestamptz at time zone 'UTC') and s."effective" @> $2::text::date)` |
 * | `{ validAt: 'any' }` | `(upper_inf(s."system"))` |
 *
 * Spelled for the table's indexes: `upper_inf(system)` is the predicate of
 * the partial index of current rows (a comparison with a timestamp would not
 * match it), and `@>` on the range columns is what the GiST index behind the
 * exclusion constraint answers. `system` is a `tsrange` holding UTC, so the
 * instant is read as `timestamptz` (its offset honoured whatever the
 * session's `TimeZone`) and then taken to UTC.
 *
 * The whole condition is parenthesised: inside a caller's `or`, Kysely
 * would otherwise print `a and b or c`.
 */
export function asOfCondition(definition: TableDefinition, reference: readonly string[], instant: ResolvedInstant): RawBuilder<SqlBool> {
  const system = sql.id(...reference, definition.systemColumn)
  const effective = sql.id(...reference, definition.effectiveColumn)
  const dated = definition.validTime === 'date'
  const parts: RawBuilder<unknown>[] = [
    instant.knownAt === null ? sql`upper_inf(${system})` : sql`${system} @> (${instant.knownAt}::text::timestamptz at time zone 'UTC')`,
  ]
  const { validAt } = instant
  if (validAt === 'today') {
    parts.push(dated ? sql`${effective} @> (now() at time zone 'UTC')::date` : sql`${effective} @> now()`)
  } else if (validAt !== 'any') {
    parts.push(dated ? sql`${effective} @> ${validAt.at}::text::date` : sql`${effective} @> ${validAt.at}::text::timestamptz`)
  }
  return sql<SqlBool>`(${sql.join(parts, sql` and `)})`
}
