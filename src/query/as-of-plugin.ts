import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely'
import { InvalidInputError } from '../errors/errors.js'
import type { TableDefinition } from '../schema/define-table.js'
import { isPlainObject } from '../values/is-plain-object.js'
import { assertDefinition } from '../schema/assert-definition.js'
import { type AsOfInstant, resolveInstant } from './as-of-instant.js'
import { AsOfTransformer, type TemporalTable } from './as-of-transformer.js'
import type { RestrictedSelects } from './as-written-transformer.js'

/** Options of {@link asOfPlugin}. */
export interface AsOfPluginOptions extends AsOfInstant {
  /**
   * The temporal tables to restrict (their definitions). A query's table
   * matches a definition by name; where both name a schema, the schemas must
   * agree. Tables not listed are left alone. Required, at least one.
   */
  readonly tables: readonly TableDefinition[]
}

/**
 * A Kysely plugin that puts every SELECT at one instant: each temporal table
 * the query names, in FROM, in any join, in subqueries (in WHERE, in the
 * select list, in FROM), in CTEs and in UNION branches, is restricted to its
 * versions valid at `validAt` as known at `knownAt`, so that a join can not
 * quietly mix instants or read every version of a table its author forgot
 * to filter.
 *
 * - Options: `tables` (required), `validAt` (default: today, the UTC day of
 *   the server's clock, `'any'` for every valid time) and `knownAt`
 *   (default: current knowledge), validated here (`InvalidInputError`) for
 *   each table's granularity of valid time: a `Date` suits date and
 *   timestamp tables alike.
 * - Where the condition goes: FROM items and cross joins, the WHERE; inner
 *   and left joins, the join's ON, so that a left join still yields its
 *   null-extended rows. A temporal table in a RIGHT or FULL join, or one that
 *   a RIGHT or FULL join makes the nullable side, is an `InvalidInputError`
 *   when the query is compiled: join a subquery instead.
 * - Aliases are honoured (`selectFrom('subscriptions as s')` gets
 *   `"s"."system"`); a CTE named like a temporal table shadows it.
 * - Only SELECT statements are changed. INSERT, UPDATE, DELETE and MERGE,
 *   the SELECTs inside them, and a data-modifying CTE inside a SELECT are
 *   sent as written; raw `sql` is never changed.
 * - Add it last (`db.withPlugin(...)` appends): a `CamelCasePlugin` or
 *   `withSchema` must have produced the real table names first.
 *
 * @example
 * ```ts
 * const then = db.withPlugin(asOfPlugin({
 *   tables: [subscriptions, customers, plans],
 *   validAt: '2024-03-01',
 *   knownAt: '2024-04-02T00:00:00Z',
 * }))
 * await then.selectFrom('subscriptions as s')
 *   .innerJoin('customers as c', 'c.id', 's.customer_id')
 *   .leftJoin('plans as p', 'p.id', 's.plan_id')
 *   .select(['c.name', 'p.tier'])
 *   .execute()
 * ```
 * sends
 * ```sql
 * select "c"."name", "p"."tier" from "subscriptions" as "s"
 * inner join "customers" as "c" on "c"."id" = "s"."customer_id"
 *   and ("c"."system" @> ($1::text::timestamptz at time zone 'UTC') and "c"."effective" @> $2::text::date)
 * left join "plans" as "p" on "p"."id" = "s"."plan_id"
 *   and ("p"."system" @> ($3::text::timestamptz at time zone 'UTC') and "p"."effective" @> $4::text::date)
 * where ("s"."system" @> ($5::text::timestamptz at time zone 'UTC') and "s"."effective" @> $6::text::date)
 * ```
 */
// The statements the transformer sees: SELECTs it restricts, and writes it
// gives back as written, down to a subquery built on the plugged-in instance.
// Raw SQL and DDL are never touched.
const QUERIES: ReadonlySet<string> = new Set(['SelectQueryNode', 'InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode', 'MergeQueryNode'])

export function asOfPlugin(options: AsOfPluginOptions): KyselyPlugin {
  if (!isPlainObject(options)) {
    throw new InvalidInputError('asOfPlugin takes an object { tables, validAt?, knownAt? }')
  }
  const { tables, ...at } = options
  if (!Array.isArray(tables) || tables.length === 0) {
    throw new InvalidInputError('asOfPlugin: tables must be a non-empty array of table definitions (from defineTable)')
  }
  const byName = new Map<string, TableDefinition>()
  for (const definition of tables as readonly unknown[]) {
    assertDefinition(definition, 'asOfPlugin: tables')
    const name = `${definition.table.schema ?? ''}.${definition.table.name}`
    const seen = byName.get(name)
    // The same definition twice is harmless; two different ones for one table would be two instants' worth of columns.
    if (seen !== undefined && seen !== definition) {
      throw new InvalidInputError(`asOfPlugin: tables holds two different definitions of "${definition.name}"`)
    }
    byName.set(name, definition)
  }
  const temporal: readonly TemporalTable[] = Object.freeze(
    [...byName.values()].map((definition) => Object.freeze({ definition, instant: resolveInstant(definition, at, 'asOfPlugin') })),
  )
  const restricted: RestrictedSelects = new WeakMap()
  return Object.freeze({
    transformQuery({ node, queryId }: PluginTransformQueryArgs): RootOperationNode {
      return QUERIES.has(node.kind) ? new AsOfTransformer(temporal, restricted).transformNode(node, queryId) : node
    },
    transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      return Promise.resolve(result)
    },
  })
}
