import { CamelCasePlugin, sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { asOfPlugin } from '../../src/query/as-of-plugin.js'
import { defineTable } from '../../src/schema/define-table.js'
import { compileOnly } from '../support/compile-only.js'
import { invalidInput } from '../support/invalid-input.js'

// Where asOfPlugin puts each table's condition, in the SQL it compiles to.
// The integration tests (query-plugin.test.ts) show the rows are right.

const subscriptions = defineTable({ name: 'subscriptions', key: { id: 'integer' }, values: { customer_id: 'integer', plan_id: 'integer' } })
const customers = defineTable({ name: 'billing.customers', key: { id: 'integer' }, values: { name: 'text' } })
const plans = defineTable({ name: 'plans', key: { id: 'integer' }, values: { tier: 'text' } })
const base = compileOnly()
const db = base.withPlugin(asOfPlugin({ tables: [subscriptions, customers, plans], validAt: '2024-03-01' }))

const S = (alias: string, n: number): string => `(upper_inf("${alias}"."system") and "${alias}"."effective" @> $${n}::text::date)`

describe('asOfPlugin: where the condition goes', () => {
  it('FROM item: the WHERE, after the caller\'s own condition', () => {
    const { sql: text, parameters } = db.selectFrom('subscriptions as s').select('s.id').where('s.plan_id', '=', 3).compile()
    expect(text).toBe(`select "s"."id" from "subscriptions" as "s" where "s"."plan_id" = $1 and ${S('s', 2)}`)
    expect(parameters).toEqual([3, '2024-03-01'])
  })

  it('inner and left joins: the join\'s ON, so a left join keeps its null-extended rows', () => {
    const { sql: text } = db
      .selectFrom('subscriptions as s')
      .innerJoin('billing.customers as c', 'c.id', 's.customer_id')
      .leftJoin('plans as p', 'p.id', 's.plan_id')
      .select(['s.id'])
      .compile()
    expect(text).toBe(
      `select "s"."id" from "subscriptions" as "s"` +
        ` inner join "billing"."customers" as "c" on "c"."id" = "s"."customer_id" and ${S('c', 1)}` +
        ` left join "plans" as "p" on "p"."id" = "s"."plan_id" and ${S('p', 2)}` +
        ` where ${S('s', 3)}`,
    )
  })

  it('a table without an alias is named as the query names it', () => {
    const { sql: text } = db.selectFrom('billing.customers').select('id').compile()
    expect(text).toContain(`where (upper_inf("billing"."customers"."system") and "billing"."customers"."effective" @> $1::text::date)`)
    // A definition with a schema also restricts the bare name PostgreSQL finds on the search_path.
    expect(db.selectFrom('customers').select('id').compile().sql).toContain(`upper_inf("customers"."system")`)
  })

  it('leaves tables it was not given alone', () => {
    const { sql: text } = db.selectFrom('invoices').innerJoin('other.customers as c', 'c.id', 'invoices.customer_id').selectAll().compile()
    expect(text).toBe(`select * from "invoices" inner join "other"."customers" as "c" on "c"."id" = "invoices"."customer_id"`)
    // A definition without a schema may live in any schema on the search_path: a qualified name matches it.
    expect(db.selectFrom('app.plans').selectAll().compile().sql).toContain(`upper_inf("app"."plans"."system")`)
  })

  it('subqueries in WHERE, in FROM and in the select list, each at its own level', () => {
    const { sql: text } = base
      .selectFrom(base.selectFrom('subscriptions').select('customer_id').as('x'))
      .select((eb) => ['x.customer_id', eb.selectFrom('plans').select('tier').whereRef('plans.id', '=', 'x.customer_id').as('tier')])
      .where('x.customer_id', 'in', base.selectFrom('billing.customers as c').select('c.id'))
      .compile()
    const { sql: plugged } = db
      .selectFrom(db.selectFrom('subscriptions').select('customer_id').as('x'))
      .select((eb) => ['x.customer_id', eb.selectFrom('plans').select('tier').whereRef('plans.id', '=', 'x.customer_id').as('tier')])
      .where('x.customer_id', 'in', base.selectFrom('billing.customers as c').select('c.id'))
      .compile()
    expect(text).not.toContain('upper_inf')
    expect(plugged).toContain(`(select "customer_id" from "subscriptions" where (upper_inf("subscriptions"."system")`)
    expect(plugged).toContain(`(select "tier" from "plans" where "plans"."id" = "x"."customer_id" and (upper_inf("plans"."system")`)
    expect(plugged).toContain(`(select "c"."id" from "billing"."customers" as "c" where (upper_inf("c"."system")`)
    expect(plugged.match(/upper_inf/g)).toHaveLength(3)
  })

  it('a subquery built on the plugged-in instance is restricted once, not twice', () => {
    const { sql: text } = db.selectFrom('plans').select('id').where('id', 'in', db.selectFrom('subscriptions').select('plan_id')).compile()
    expect(text.match(/upper_inf\("subscriptions"/g)).toHaveLength(1)
    expect(text.match(/upper_inf\("plans"/g)).toHaveLength(1)
  })

  it('CTEs and UNION branches; a CTE named like a table shadows it only where PostgreSQL says so', () => {
    const { sql: text } = db
      .with('plans', (q) => q.selectFrom('plans').select('id'))
      .selectFrom('plans')
      .select('id')
      .union(db.selectFrom('subscriptions').select('id'))
      .compile()
    expect(text).toBe(
      `with "plans" as (select "id" from "plans" where ${S('plans', 1)})` +
        ` select "id" from "plans" union select "id" from "subscriptions" where ${S('subscriptions', 2)}`,
    )
  })

  it('a caller\'s raw or-condition keeps its meaning next to the added and', () => {
    const { sql: text } = db.selectFrom('plans').select('id').where(sql<boolean>`id = 1 or id = 2`).compile()
    expect(text).toBe(`select "id" from "plans" where (id = 1 or id = 2) and ${S('plans', 1)}`)
  })

  it('cross joins: the WHERE', () => {
    const { sql: text } = db.selectFrom('subscriptions as s').crossJoin('plans as p').select('s.id').compile()
    expect(text).toBe(`select "s"."id" from "subscriptions" as "s" cross join "plans" as "p" where ${S('s', 1)} and ${S('p', 2)}`)
  })

  it('runs after a CamelCasePlugin added before it, so it sees the real table names', () => {
    const camel = base.withPlugin(new CamelCasePlugin()).withPlugin(asOfPlugin({ tables: [defineTable({ name: 'tax_rates', key: { id: 'integer' }, values: {} })] }))
    expect(camel.selectFrom('taxRates').select('id').compile().sql).toContain(`upper_inf("tax_rates"."system")`)
  })
})

describe('asOfPlugin: what it leaves alone, and what it refuses', () => {
  it('UPDATE, DELETE and INSERT … SELECT are sent as written', () => {
    const update = db.updateTable('plans').set({ tier: 'x' }).where('id', 'in', base.selectFrom('subscriptions').select('plan_id')).compile()
    expect(update.sql).not.toContain('upper_inf')
    expect(db.deleteFrom('plans').where('id', '=', 1).compile().sql).not.toContain('upper_inf')
    const insert = db.insertInto('archive').columns(['id']).expression(base.selectFrom('plans').select('id')).compile()
    expect(insert.sql).not.toContain('upper_inf')
  })

  it('a temporal table in a right or full join is an InvalidInputError when the query is compiled', () => {
    expect(invalidInput(() => db.selectFrom('invoices').rightJoin('plans', 'plans.id', 'invoices.plan_id').selectAll().compile()).message).toContain('RightJoin')
    invalidInput(() => db.selectFrom('invoices').fullJoin('plans', 'plans.id', 'invoices.plan_id').selectAll().compile())
    // The temporal table would become the nullable side: a WHERE on it would drop the null rows.
    invalidInput(() => db.selectFrom('plans').rightJoin('invoices', 'plans.id', 'invoices.plan_id').selectAll().compile())
  })

  it('a right join of tables it was not given is fine', () => {
    expect(base.selectFrom('a').rightJoin('b', 'a.id', 'b.id').selectAll().compile().sql).toBe(
      db.selectFrom('a').rightJoin('b', 'a.id', 'b.id').selectAll().compile().sql,
    )
  })

  it('the same definition listed twice restricts once; two different definitions of one table are refused', () => {
    const twice = base.withPlugin(asOfPlugin({ tables: [plans, plans] }))
    expect(twice.selectFrom('plans').selectAll().compile().sql.match(/upper_inf/g)).toHaveLength(1)
    invalidInput(() => asOfPlugin({ tables: [plans, defineTable({ name: 'plans', key: { id: 'integer' }, values: {}, systemColumn: 'known' })] }))
  })

  it('WITH RECURSIVE: the CTE shadows the table in its own body too', () => {
    const { sql: text } = db
      .withRecursive('plans(id)', (q) => q.selectFrom('subscriptions').select('id').union(q.selectFrom('plans').select('id')))
      .selectFrom('plans')
      .select('id')
      .compile()
    expect(text.match(/upper_inf/g)).toHaveLength(1)
    expect(text).toContain(`select "id" from "subscriptions" where ${S('subscriptions', 1)} union select "id" from "plans")`)
  })

  it('two definitions of one name in different schemas and an unqualified reference: ambiguous', () => {
    const two = base.withPlugin(asOfPlugin({ tables: [customers, defineTable({ name: 'crm.customers', key: { id: 'integer' }, values: {} })] }))
    invalidInput(() => two.selectFrom('customers').selectAll().compile())
    expect(two.selectFrom('crm.customers').selectAll().compile().sql).toContain(`upper_inf("crm"."customers"."system")`)
  })
})

describe('asOfPlugin: options are validated when the plugin is made', () => {
  it.each([
    ['no options', undefined],
    ['no tables', { validAt: '2024-03-01' }],
    ['an empty list of tables', { tables: [] }],
    ['a table name instead of a definition', { tables: ['plans'] }],
    ['a day that does not exist', { tables: [plans], validAt: '2024-02-30' }],
    ['an instant without an offset', { tables: [plans], knownAt: '2024-04-02 00:00:00' }],
    ['an unknown option', { tables: [plans], validDate: '2024-03-01' }],
    ['a day for a timestamp table', { tables: [defineTable({ name: 'e', key: { id: 'integer' }, values: {}, effective: 'timestamp' })], validAt: '2024-03-01' }],
  ])('%s', (_, options) => {
    expect(invalidInput(() => asOfPlugin(options as never)).message).toMatch(/^bitemporal: asOfPlugin/)
  })
})
