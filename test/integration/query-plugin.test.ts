import { type Kysely, sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { install } from '../../src/install/install.js'
import { asOf } from '../../src/query/as-of.js'
import { type AsOfInstant } from '../../src/query/as-of-instant.js'
import { asOfPlugin } from '../../src/query/as-of-plugin.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'
import { rejectsWithCode } from '../support/rejects-with-code.js'

// asOfPlugin: one instant for every temporal table of a query, including
// the ones its author forgot to filter, in joins, left joins, subqueries and CTEs.

const database = useTestDatabase()
const subscriptions = defineTable({ name: 'subscriptions', key: { id: 'integer' }, values: { customer_id: 'integer not null', plan_id: 'integer not null' } })
const customers = defineTable({ name: 'crm.customers', key: { id: 'integer' }, values: { name: 'text not null' } })
const plans = defineTable({ name: 'plans', key: { id: 'integer' }, values: { price: 'integer not null' } })
const TABLES = [subscriptions, customers, plans]

let t1 = ''
let t2 = ''
/** The four instants the tests read at (filled in once the writes ran). */
const at: Record<'A' | 'B' | 'C' | 'D', AsOfInstant> = { A: {}, B: {}, C: { validAt: '2024-03-01' }, D: { validAt: '2024-01-15' } }

beforeAll(async () => {
  const { db } = database()
  await install(db)
  await sql`create schema crm`.execute(db)
  for (const table of TABLES) await createTable(db, table)
  // t1: three subscriptions from January; plan 3 is retired on February 1st.
  t1 =
    (await bitemporal(db, subscriptions).transaction(async (subs, trx) => {
      for (const [id, name] of [[11, 'Ada'], [12, 'Bob'], [13, 'Cy']] as const) await bitemporal(trx, customers).set({ id }, { from: '2023-01-01' }, { name })
      await bitemporal(trx, plans).set({ id: 1 }, { from: '2023-01-01' }, { price: 10 })
      await bitemporal(trx, plans).set({ id: 2 }, { from: '2023-01-01' }, { price: 20 })
      await bitemporal(trx, plans).set({ id: 3 }, { from: '2023-01-01', to: '2024-02-01' }, { price: 30 })
      for (const id of [1, 2, 3]) await subs.set({ id }, { from: '2024-01-01' }, { customer_id: 10 + id, plan_id: id })
      return subs.lastChange({ id: 3 })
    })) ?? ''
  // t2, retroactive: plan 1 cost 11 since January 1st; Bob is called Bobby from February 1st.
  t2 =
    (
      await bitemporal(db, plans).transaction(async (repo, trx) => {
        await bitemporal(trx, customers).set({ id: 12 }, { from: '2024-02-01' }, { name: 'Bobby' })
        return repo.set({ id: 1 }, { from: '2024-01-01' }, { price: 11 })
      })
    ).systemTime ?? ''
  // t3, retroactive: subscription 2 ended on February 15th.
  await bitemporal(db, subscriptions).delete({ id: 2 }, { from: '2024-02-15' })
  at.A = { validAt: '2024-03-01', knownAt: t1 }
  at.B = { validAt: '2024-03-01', knownAt: t2 }
})

type Line = readonly [subscription: number, customer: string, price: number | null]

/** The author filtered subscriptions and forgot customers and plans. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test tables have no database type
async function lines(db: Kysely<any>, instant: AsOfInstant): Promise<Line[]> {
  const rows = await db
    .selectFrom('subscriptions as s')
    .innerJoin('crm.customers as c', 'c.id', 's.customer_id')
    .leftJoin('plans as p', 'p.id', 's.plan_id')
    .where(asOf(subscriptions, 's', instant))
    .select(['s.id', 'c.name', 'p.price'])
    .orderBy('s.id')
    .orderBy('p.price')
    .execute()
  return rows.map((r) => [Number(r.id), String(r.name), r.price === null ? null : Number(r.price)] as const)
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
const plugged = (instant: AsOfInstant): Kysely<any> => database().db.withPlugin(asOfPlugin({ tables: TABLES, ...instant }))

describe('asOfPlugin on a three-table join whose author forgot two filters', () => {
  it('known at t1: the prices and names of then', async () => {
    expect(await lines(plugged(at.A), at.A)).toEqual([[1, 'Ada', 10], [2, 'Bob', 20], [3, 'Cy', null]])
  })

  it('known at t2: plan 1 changed retroactively, Bob renamed', async () => {
    expect(await lines(plugged(at.B), at.B)).toEqual([[1, 'Ada', 11], [2, 'Bobby', 20], [3, 'Cy', null]])
  })

  it('current knowledge: subscription 2 ended retroactively; on January 15th plan 3 still existed', async () => {
    expect(await lines(plugged(at.C), at.C)).toEqual([[1, 'Ada', 11], [3, 'Cy', null]])
    expect(await lines(plugged(at.D), at.D)).toEqual([[1, 'Ada', 11], [2, 'Bob', 20], [3, 'Cy', 30]])
  })

  it('without the plugin the same query reads every version of the joined tables', async () => {
    const wrong = await lines(database().db, at.B)
    // Plan 1 as known at t1 (10) and since t2 (11), and the retired plan 3: none of them belongs at the instant.
    expect(wrong).toContainEqual([1, 'Ada', 10])
    expect(wrong).toContainEqual([1, 'Ada', 11])
    expect(wrong).toContainEqual([3, 'Cy', 30])
    expect(wrong).not.toEqual(await lines(plugged(at.B), at.B))
  })

  it('left join: a subscription whose plan has no version at the instant keeps its row, with nulls', async () => {
    // Plan 3 has a version, but not on March 1st: the condition sits in the ON, not the WHERE.
    const rows = await plugged(at.C).selectFrom('subscriptions as s').leftJoin('plans as p', 'p.id', 's.plan_id').select(['s.id', 'p.price']).orderBy('s.id').execute()
    expect(rows.map((r) => [Number(r.id), r.price === null ? null : Number(r.price)])).toEqual([[1, 11], [3, null]])
  })

  it('the instant is one for every table: a count of subscriptions per instant', async () => {
    const count = async (instant: AsOfInstant): Promise<number> =>
      Number((await plugged(instant).selectFrom('subscriptions').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n)
    expect([await count(at.A), await count(at.B), await count(at.C), await count({ validAt: '2024-02-14' })]).toEqual([3, 3, 2, 3])
  })
})

describe('asOfPlugin on subqueries and CTEs', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
  async function customersOnDearPlans(db: Kysely<any>): Promise<number[]> {
    const rows = await db
      .selectFrom('crm.customers as c')
      .where((eb) => eb('c.id', 'in', eb.selectFrom('subscriptions as s').innerJoin('plans as p', 'p.id', 's.plan_id').where('p.price', '>', 15).select('s.customer_id')))
      .select('c.id')
      .orderBy('c.id')
      .execute()
    return rows.map((r) => Number(r.id))
  }

  it('a subquery in WHERE reads at the same instant as the outer query', async () => {
    expect(await customersOnDearPlans(plugged(at.A))).toEqual([12])
    expect(await customersOnDearPlans(plugged(at.D))).toEqual([12, 13])
    expect(await customersOnDearPlans(plugged(at.C))).toEqual([])
    // Without it, every version of everything: the retired plan 3 and the ended subscription 2 count,
    // and customer 12 comes once per version (Bob as known at t1; Bob, then Bobby, since t2).
    expect(await customersOnDearPlans(database().db)).toEqual([12, 12, 12, 13])
  })

  it('a subquery in FROM and a CTE', async () => {
    const db = plugged(at.B)
    const fromSubquery = await db
      .selectFrom(db.selectFrom('plans').select(['id', 'price']).as('q'))
      .select(['q.id', 'q.price'])
      .orderBy('q.id')
      .execute()
    expect(fromSubquery.map((r) => [Number(r.id), Number(r.price)])).toEqual([[1, 11], [2, 20]])
    const viaCte = await db
      .with('active', (q) => q.selectFrom('subscriptions').select(['id', 'plan_id']))
      .selectFrom('active')
      .innerJoin('plans', 'plans.id', 'active.plan_id')
      .select(['active.id', 'plans.price'])
      .orderBy('active.id')
      .execute()
    expect(viaCte.map((r) => [Number(r.id), Number(r.price)])).toEqual([[1, 11], [2, 20]])
  })
})

describe('asOfPlugin: what it leaves alone, and errors', () => {
  it('raw SQL and INSERT … SELECT are sent as written', async () => {
    const db = plugged(at.C)
    const raw = await sql<{ n: string }>`select count(*) as n from plans`.execute(db)
    // Plan 1 has three versions (10 as known at t1; 10 and 11 since t2), plans 2 and 3 one each.
    expect(Number(raw.rows[0]?.n)).toBe(5)
    await sql`create table plan_copy (id integer, price integer)`.execute(database().db)
    await db.insertInto('plan_copy').columns(['id', 'price']).expression(database().db.selectFrom('plans').select(['id', 'price'])).execute()
    const copied = await database().db.selectFrom('plan_copy').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()
    expect(Number(copied.n)).toBe(5)
  })

  it('a SELECT built on the plugged-in instance is sent as written inside INSERT and UPDATE too', async () => {
    const db = plugged(at.C)
    await sql`create table plan_copy_built (id integer, price integer)`.execute(database().db)
    // Kysely runs the plugin on the inner builder by itself first; the write takes it back as written.
    await db.insertInto('plan_copy_built').columns(['id', 'price']).expression(db.selectFrom('plans').select(['id', 'price'])).execute()
    const copied = await database().db.selectFrom('plan_copy_built').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()
    expect(Number(copied.n)).toBe(5)

    await sql`create table plan_flags (id integer, flagged boolean not null default false)`.execute(database().db)
    await sql`insert into plan_flags (id) values (1), (2), (3)`.execute(database().db)
    // Price 10 is plan 1's in history; as of C it is 11, so a restricted subquery would flag nothing.
    const updated = await db
      .updateTable('plan_flags')
      .set({ flagged: true })
      .where('id', 'in', db.selectFrom('plans').select('id').where('price', '=', 10))
      .executeTakeFirstOrThrow()
    expect(Number(updated.numUpdatedRows)).toBe(1)
  })

  it('a SELECT built on the plugged-in instance follows the CTE scope of the query it ends up in', async () => {
    const db = plugged(at.C)
    // Inside the outer query, "plans" in the subquery is the CTE, which has no system column to restrict.
    const rows = await db
      .with('plans', (q) => q.selectFrom('subscriptions').select(['plan_id as id']))
      .selectFrom('plans')
      .select('id')
      .where('id', 'in', db.selectFrom('plans').select('id'))
      .orderBy('id')
      .execute()
    // The plans of the subscriptions as of C (subscription 2 ended on February 15th).
    expect(rows.map((r) => Number(r.id))).toEqual([1, 3])
    // On its own, the same builder is restricted: the plans valid on C, plan 1 once rather than its three versions.
    expect((await db.selectFrom('plans').select('id').orderBy('id').execute()).map((r) => Number(r.id))).toEqual([1, 2])
  })

  it('a temporal table in a right join is an InvalidInputError, and nothing is sent', async () => {
    await rejectsWithCode(() => plugged(at.C).selectFrom('subscriptions as s').rightJoin('plans as p', 'p.id', 's.plan_id').selectAll().execute(), 'INVALID_INPUT')
  })

  it('bad options are InvalidInputErrors when the plugin is made', () => {
    expect(() => asOfPlugin({ tables: TABLES, knownAt: 'yesterday' })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => asOfPlugin({ tables: [], validAt: '2024-03-01' })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  })
})
