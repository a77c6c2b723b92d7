import { type RawBuilder, type SqlBool, sql } from 'kysely'
import type { TableDefinition } from '../schema/define-table.js'
import type { ResolvedInstant } from './as-of-instant.js'

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
 * | `{ validAt }` | `(upper_inf(s."system") and s."effective" @> $1::date)` |
 * | `{ validAt, knownAt }` | `(s."system" @> ($1::timestamptz at time zone 'UTC') and s."effective" @> $2::date)` |
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
    instant.knownAt === null ? sql`upper_inf(${system})` : sql`${system} @> (${instant.knownAt}::timestamptz at time zone 'UTC')`,
  ]
  const { validAt } = instant
  if (validAt === 'today') {
    parts.push(dated ? sql`${effective} @> (now() at time zone 'UTC')::date` : sql`${effective} @> now()`)
  } else if (validAt !== 'any') {
    parts.push(dated ? sql`${effective} @> ${validAt.at}::date` : sql`${effective} @> ${validAt.at}::timestamptz`)
  }
  return sql<SqlBool>`(${sql.join(parts, sql` and `)})`
}
