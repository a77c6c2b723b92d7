import { CamelCasePlugin, sql } from 'kysely'
import pg from 'pg'
import { beforeAll, describe, expect, it } from 'vitest'
import { DatabaseError, InvalidInputError } from '../../src/errors/errors.js'
import { install } from '../../src/install/install.js'
import { asOf } from '../../src/query/as-of.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'
import { invalidInput } from '../support/invalid-input.js'
import { rejectsWithCode } from '../support/rejects-with-code.js'

// asOf() and repo.query(): "how many subscriptions were active on March 1,
// as we knew it on April 2?", and three temporal tables joined at one instant.

const database = useTestDatabase()
const subscriptions = defineTable({
  name: 'subscriptions',
  key: { id: 'integer' },
  values: { customer_id: 'integer not null', plan_id: 'integer not null' },
})
const customers = defineTable({ name: 'crm.customers', key: { id: 'integer' }, values: { name: 'text not null' } })
const plans = defineTable({ name: 'plans', key: { id: 'integer' }, values: { price: 'numeric not null' } })
const meters = defineTable({ name: 'meters', key: { id: 'integer' }, values: { reading: 'integer not null' }, effective: 'timestamp' })

/** System times of the writes below, in order. */
const T: Record<'t1' | 't2' | 't3' | 't4', string> = { t1: '', t2: '', t3: '', t4: '' }

function systemTime(result: { systemTime: string | null }): string {
  if (result.systemTime === null) throw new Error('the write changed nothing')
  return result.systemTime
}

beforeAll(async () => {
  const { db } = database()
  await install(db)
  await sql`create schema crm`.execute(db)
  for (const table of [subscriptions, customers, plans, meters]) await createTable(db, table)
  const subs = bitemporal(db, subscriptions)
  // t1: five subscriptions from January 1st, customers and plans.
  T.t1 = systemTime(
    await subs.transaction(async (repo, trx) => {
      for (let id = 1; id <= 5; id++) await repo.set({ id }, { from: '2024-01-01' }, { customer_id: 10 + id, plan_id: id % 2 === 0 ? 2 : 1 })
      for (let id = 11; id <= 16; id++) await bitemporal(trx, customers).set({ id }, { from: '2023-01-01' }, { name: `customer ${id}` })
      await bitemporal(trx, plans).set({ id: 1 }, { from: '2023-01-01' }, { price: '10' })
      return bitemporal(trx, plans).set({ id: 2 }, { from: '2023-01-01' }, { price: '20' })
    }),
  )
  // t2: learned that subscription 2 ended on February 1st (retroactive).
  T.t2 = systemTime(await subs.delete({ id: 2 }, { from: '2024-02-01' }))
  // t3: learned of subscription 6, which started in December (retroactive), and plan 1's price was 12 from February on.
  T.t3 = systemTime(
    await subs.transaction(async (repo, trx) => {
      await repo.set({ id: 6 }, { from: '2023-12-01' }, { customer_id: 16, plan_id: 1 })
      return bitemporal(trx, plans).set({ id: 1 }, { from: '2024-02-01' }, { price: '12' })
    }),
  )
  // t4: subscription 3 moves to plan 2 from March 1st; customer 13 was renamed back in 2023 (a correction).
  T.t4 = systemTime(
    await subs.transaction(async (repo, trx) => {
      await repo.set({ id: 3 }, { from: '2024-03-01' }, { customer_id: 13, plan_id: 2 })
      return bitemporal(trx, customers).correct({ id: 13 }, { at: '2023-06-01' }, { name: 'customer 13 (renamed)' })
    }),
  )
})

async function count(validAt: string, knownAt?: string): Promise<number> {
  const row = await bitemporal(database().db, subscriptions)
    .query(knownAt === undefined ? { validAt } : { validAt, knownAt })
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

describe('repo.query(): counts as of past instants after retroactive changes', () => {
  it('each instant counts what was known then', async () => {
    expect([await count('2024-03-01', T.t1), await count('2024-03-01', T.t2), await count('2024-03-01', T.t3), await count('2024-03-01')]).toEqual([5, 4, 5, 5])
    expect([await count('2023-12-15', T.t2), await count('2023-12-15', T.t3), await count('2023-12-15')]).toEqual([0, 1, 1])
    // Before the first write nothing was known; on January 15 subscription 2 was still active.
    expect(await count('2024-03-01', '2000-01-01T00:00:00Z')).toBe(0)
    expect(await count('2024-01-15')).toBe(6)
  })

  it('agrees with repo.asOf key by key at every instant (a second, independent read path)', async () => {
    const repo = bitemporal(database().db, subscriptions)
    for (const knownAt of [T.t1, T.t2, T.t3, T.t4, undefined]) {
      for (const validAt of ['2023-12-01', '2024-01-31', '2024-02-01', '2024-03-01']) {
        const at = knownAt === undefined ? { validAt } : { validAt, knownAt }
        const ids = (await repo.query(at).select('id').orderBy('id').execute()).map((r) => Number(r.id))
        const expected: number[] = []
        for (let id = 1; id <= 6; id++) if ((await repo.asOf({ id }, at)) !== undefined) expected.push(id)
        expect(ids, JSON.stringify(at)).toEqual(expected)
      }
    }
  })

  it('where, select and pagination compose with the restriction', async () => {
    const repo = bitemporal(database().db, subscriptions)
    const onPlan2 = async (knownAt?: string): Promise<number[]> =>
      (await repo.query(knownAt === undefined ? { validAt: '2024-03-15' } : { validAt: '2024-03-15', knownAt }).where('plan_id', '=', 2).select('id').orderBy('id').execute()).map((r) => Number(r.id))
    expect(await onPlan2(T.t1)).toEqual([2, 4])
    expect(await onPlan2(T.t3)).toEqual([4])
    expect(await onPlan2()).toEqual([3, 4])
    const page = await repo.query({ validAt: '2024-03-15' }).select('id').orderBy('id').limit(2).offset(2).execute()
    expect(page.map((r) => Number(r.id))).toEqual([4, 5])
  })

  it("validAt: 'any' gives the whole timeline known at knownAt", async () => {
    const repo = bitemporal(database().db, subscriptions)
    const timeline = async (knownAt?: string): Promise<string[]> =>
      (
        await repo
          .query(knownAt === undefined ? { validAt: 'any' } : { validAt: 'any', knownAt })
          .where('id', '=', 3)
          .select([sql<string>`lower(effective)::text`.as('from'), 'plan_id'])
          .orderBy(sql`lower(effective)`)
          .execute()
      ).map((r) => `${r.from}:${String(r.plan_id)}`)
    expect(await timeline(T.t3)).toEqual(['2024-01-01:1'])
    expect(await timeline()).toEqual(['2024-01-01:1', '2024-03-01:2'])
  })

  it('without validAt, today (UTC) in current knowledge, like repo.asOf', async () => {
    const { db } = database()
    const { rows } = await sql<{ yesterday: string; tomorrow: string }>`
      select to_char(d - 1, 'YYYY-MM-DD') as yesterday, to_char(d + 1, 'YYYY-MM-DD') as tomorrow from (select (now() at time zone 'UTC')::date as d) as utc`.execute(db)
    const days = rows[0]
    if (days === undefined) throw new Error('no row')
    const repo = bitemporal(db, plans)
    await repo.set({ id: 90 }, { from: days.yesterday, to: days.tomorrow }, { price: '1' })
    await repo.set({ id: 91 }, { from: days.tomorrow }, { price: '2' })
    const ids = (await repo.query().where('id', '>=', 90).select('id').execute()).map((r) => Number(r.id))
    expect(ids).toEqual([90])
    expect((await db.selectFrom('plans').where('id', '>=', 90).where(asOf(plans)).select('id').execute()).map((r) => Number(r.id))).toEqual([90])
  })

  it('timestamp valid time: validAt is an instant', async () => {
    const repo = bitemporal(database().db, meters)
    await repo.set({ id: 1 }, { from: '2024-03-01T00:00:00Z', to: '2024-03-01T12:00:00Z' }, { reading: 5 })
    await repo.set({ id: 1 }, { from: '2024-03-01T12:00:00Z' }, { reading: 7 })
    const reading = async (validAt: string): Promise<unknown> => (await repo.query({ validAt }).select('reading').executeTakeFirst())?.reading
    expect(await reading('2024-03-01T11:59:59.999999Z')).toBe(5)
    expect(await reading('2024-03-01T13:00:00+01:00')).toBe(7)
    expect(await reading('2024-02-29T23:59:59Z')).toBeUndefined()
  })

  it('with the caller\'s database type, the builder is typed (checked by the typecheck)', async () => {
    interface Database {
      subscriptions: { id: number; customer_id: number; plan_id: number; effective: string; system: string }
    }
    const repo = bitemporal(database().db, subscriptions)
    const typed = repo.query<Database, 'subscriptions'>({ validAt: '2024-03-15' }).select(['id', 'plan_id']).where('plan_id', '=', 2)
    // @ts-expect-error -- not a column of subscriptions
    repo.query<Database, 'subscriptions'>().select('price')
    const rows: { id: number; plan_id: number }[] = await typed.orderBy('id').execute()
    expect(rows.map((r) => r.id)).toEqual([3, 4])
  })

  it('bad instants are InvalidInputErrors thrown by query() itself, before anything is sent', () => {
    const repo = bitemporal(database().db, subscriptions)
    invalidInput(() => repo.query({ validAt: '2024-02-30' }))
    invalidInput(() => repo.query({ knownAt: '2024-04-02' }))
    invalidInput(() => repo.query({ validAt: '2024-03-01', knowAt: T.t1 } as never))
    invalidInput(() => bitemporal(database().db, meters).query({ validAt: '2024-03-01' }))
  })
})

describe('repo.query(): what the database refuses comes back as the library\'s typed errors (docs/errors.md)', () => {
  it('an unknown column is a DatabaseError with SQLSTATE 42703 and pg\'s error as cause, not pg\'s own error', async () => {
    const repo = bitemporal(database().db, subscriptions)
    const error = await rejectsWithCode(() => repo.query().select('no_such_column').execute(), 'DATABASE_ERROR')
    expect(error).toBeInstanceOf(DatabaseError)
    expect(error.sqlState).toBe('42703')
    expect(error.message).toContain('no_such_column')
    expect(error.cause).toBeInstanceOf(pg.DatabaseError)
  })

  it('a value the column cannot hold (SQLSTATE 22P02) is an InvalidInputError, on every builder derived from query() and every way to run it', async () => {
    const repo = bitemporal(database().db, subscriptions)
    const query = repo.query({ validAt: 'any' }).where('id', '=', 'seven' as never).selectAll()
    for (const run of [() => query.execute(), () => query.executeTakeFirst(), () => query.limit(1).executeTakeFirstOrThrow(), () => query.explain()]) {
      const error = await rejectsWithCode(run, 'INVALID_INPUT')
      expect(error).toBeInstanceOf(InvalidInputError)
      expect(error.sqlState).toBe('22P02')
    }
  })

  it('in a transaction (repo.with(trx)), with the caller\'s plugins still applied', async () => {
    const camel = database().db.withPlugin(new CamelCasePlugin())
    const error = await rejectsWithCode(
      () =>
        camel.transaction().execute(async (trx) => {
          const repo = bitemporal(database().db, subscriptions).with(trx)
          // The plugin still renames: customerId is sent as customer_id, and comes back as customerId.
          const rows = await repo.query({ validAt: '2024-03-01' }).select(['id', 'customerId' as never]).where('id', '=', 1).execute()
          expect(rows).toEqual([{ id: 1, customerId: 11 }])
          await repo.query().select('noSuchColumn' as never).execute()
        }),
      'DATABASE_ERROR',
    )
    expect([error.sqlState, error.message.includes('no_such_column')]).toEqual(['42703', true])
  })
})

describe('asOf(): three temporal tables joined at one instant', () => {
  type Row = { subscription: number; customer: string; price: string }

  async function invoiceLines(at: { validAt: string; knownAt?: string }): Promise<Row[]> {
    const rows = await bitemporal(database().db, subscriptions)
      .query(at)
      .innerJoin('crm.customers as c', 'c.id', 'subscriptions.customer_id')
      .innerJoin('plans as p', 'p.id', 'subscriptions.plan_id')
      .where(asOf(customers, 'c', at))
      .where(asOf(plans, 'p', at))
      .select(['subscriptions.id as subscription', 'c.name as customer', sql<string>`p.price::text`.as('price')])
      .orderBy('subscriptions.id')
      .execute()
    return rows.map((r) => ({ subscription: Number(r.subscription), customer: String(r.customer), price: r.price }))
  }

  it('known at t2, before the retroactive price change and the rename: old prices, old names', async () => {
    expect(await invoiceLines({ validAt: '2024-03-15', knownAt: T.t2 })).toEqual([
      { subscription: 1, customer: 'customer 11', price: '10' },
      { subscription: 3, customer: 'customer 13', price: '10' },
      { subscription: 4, customer: 'customer 14', price: '20' },
      { subscription: 5, customer: 'customer 15', price: '10' },
    ])
  })

  it('known at t3: plan 1 costs 12 from February, subscription 6 exists', async () => {
    expect(await invoiceLines({ validAt: '2024-03-15', knownAt: T.t3 })).toEqual([
      { subscription: 1, customer: 'customer 11', price: '12' },
      { subscription: 3, customer: 'customer 13', price: '12' },
      { subscription: 4, customer: 'customer 14', price: '20' },
      { subscription: 5, customer: 'customer 15', price: '12' },
      { subscription: 6, customer: 'customer 16', price: '12' },
    ])
  })

  it('current knowledge: subscription 3 on plan 2, customer 13 renamed; January still at the old price', async () => {
    expect(await invoiceLines({ validAt: '2024-03-15' })).toEqual([
      { subscription: 1, customer: 'customer 11', price: '12' },
      { subscription: 3, customer: 'customer 13 (renamed)', price: '20' },
      { subscription: 4, customer: 'customer 14', price: '20' },
      { subscription: 5, customer: 'customer 15', price: '12' },
      { subscription: 6, customer: 'customer 16', price: '12' },
    ])
    expect((await invoiceLines({ validAt: '2024-01-15' })).map((r) => `${String(r.subscription)}:${r.price}`)).toEqual(['1:10', '2:20', '3:10', '4:20', '5:10', '6:10'])
  })

  it('the same join without the filters on the joined tables reads every version of them', async () => {
    const rows = await bitemporal(database().db, subscriptions)
      .query({ validAt: '2024-03-15', knownAt: T.t3 })
      .innerJoin('plans as p', 'p.id', 'subscriptions.plan_id')
      .select('subscriptions.id')
      .execute()
    // Plan 1 has three versions (10 as known until t3; 10 until February and 12 from then on, as known since):
    // the four plan-1 subscriptions appear three times each, beside the one on plan 2.
    expect(rows.length).toBe(4 * 3 + 1)
  })
})
