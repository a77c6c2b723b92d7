import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DatabaseError } from '../../src/errors/errors.js'
import { mapDatabaseError } from '../../src/errors/map-database-error.js'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { createTable, dropTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { type CountingPool, countingPool, statementKind } from '../support/counting-pool.js'
import { useTestDatabase } from '../support/database.js'
import { rejection } from '../support/rejection.js'

// Issue 7, item 1: `entity: true` gives a table one row per key ever
// written, which plain tables reference with ordinary foreign keys.

const database = useTestDatabase()

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw SQL on tables the tests create
type Db = Kysely<any>

const customers = defineTable({ name: 'customers', key: { customer_id: 'integer' }, values: { name: 'text' }, entity: true })
const taxRates = defineTable({
  name: 'tax_rates',
  key: { state_id: 'integer', tax_type: 'text' },
  values: { rate: 'numeric not null' },
  entity: true,
  audit: true,
})

let counting: CountingPool

beforeAll(async () => {
  const db = database().db
  await install(db)
  await createTable(db, customers)
  await createTable(db, taxRates)
  // The non-temporal tables of the issue: orders of a customer, invoices of a tax rate (by its surrogate id).
  await sql`create table orders (order_id integer primary key, customer_id integer not null references customers_entity (customer_id))`.execute(db)
  await sql`create table invoices (invoice_id integer primary key, tax_rate_id bigint not null references tax_rates_entity (id))`.execute(db)
  counting = countingPool({ connectionString: database().url, max: 2 })
})

afterAll(async () => {
  await counting.end()
})

async function entityRows(table: string): Promise<unknown[]> {
  const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)} order by 1`.execute(database().db)
  return rows
}

async function thrownCode(run: () => Promise<unknown>): Promise<string | undefined> {
  const error = mapDatabaseError(await rejection(run()))
  expect(error).toBeInstanceOf(DatabaseError)
  return error.sqlState
}

describe('the entity table', () => {
  it('has the key as primary key; a composite key also gets a generated surrogate id', async () => {
    const { rows } = await sql<{ table_name: string; column_name: string; data_type: string; is_identity: string }>`
      select table_name, column_name, data_type, is_identity from information_schema.columns
      where table_name in ('customers_entity', 'tax_rates_entity') order by table_name, ordinal_position`.execute(database().db)
    expect(rows.map((r) => `${r.table_name}.${r.column_name} ${r.data_type}${r.is_identity === 'YES' ? ' identity' : ''}`)).toEqual([
      'customers_entity.customer_id integer',
      'tax_rates_entity.id bigint identity',
      'tax_rates_entity.state_id integer',
      'tax_rates_entity.tax_type text',
    ])
    const { rows: constraints } = await sql<{ conname: string; def: string }>`
      select conname, pg_get_constraintdef(oid) as def from pg_constraint
      where conrelid in ('customers'::regclass, 'tax_rates_entity'::regclass) and contype in ('p', 'u', 'f') order by conname`.execute(database().db)
    expect(constraints).toEqual([
      { conname: 'customers_entity_fk', def: 'FOREIGN KEY (customer_id) REFERENCES customers_entity(customer_id)' },
      { conname: 'tax_rates_entity_id_key', def: 'UNIQUE (id)' },
      { conname: 'tax_rates_entity_pkey', def: 'PRIMARY KEY (state_id, tax_type)' },
    ])
  })

  it('gets its row on the first write of a key, in the same single statement, and only once', async () => {
    const repo = bitemporal(counting.pool, customers)
    const { sent } = await counting.count(() => repo.set({ customer_id: 1 }, { from: '2023-01-01' }, { name: 'Ada' }))
    expect(sent.map(statementKind)).toEqual(['with'])
    expect(await entityRows('customers_entity')).toEqual([{ customer_id: 1 }])
    const again = await counting.count(async () => {
      await repo.set({ customer_id: 1 }, { from: '2023-06-01' }, { name: 'Ada L.' })
      await repo.update({ customer_id: 1 }, { from: '2023-03-01', to: '2023-04-01' }, { name: 'A.' })
      await repo.delete({ customer_id: 1 }, { from: '2024-01-01' })
    })
    expect(again.sent.map(statementKind)).toEqual(['with', 'with', 'with'])
    expect(await entityRows('customers_entity')).toEqual([{ customer_id: 1 }])
  })

  it('a write that changes nothing creates no entity row', async () => {
    const repo = bitemporal(database().db, customers)
    expect(await repo.delete({ customer_id: 99 }, { from: '2023-01-01' })).toMatchObject({ systemTime: null })
    expect(await repo.update({ customer_id: 99 }, { from: '2023-01-01' }, { name: 'x' })).toMatchObject({ systemTime: null })
    expect(await entityRows('customers_entity')).not.toContainEqual({ customer_id: 99 })
  })

  it('every write is still one statement, and a transaction of three writes is BEGIN + 3 + COMMIT', async () => {
    const repo = bitemporal(counting.pool, taxRates)
    const key = { state_id: 1, tax_type: 'vat' }
    const one = ['with']
    for (const write of [
      () => repo.insert(key, { from: '2023-01-01', to: '2023-02-01' }, { rate: '0.1' }, { actor: 'ann' }),
      () => repo.set(key, { from: '2023-02-01' }, { rate: '0.2' }, { actor: 'ann' }),
      () => repo.correct(key, { at: '2023-02-15' }, { rate: '0.21' }, { actor: 'ann' }),
      () => repo.delete(key, { from: '2023-06-01', to: '2023-07-01' }, { actor: 'ann' }),
    ]) {
      expect((await counting.count(write)).sent.map(statementKind)).toEqual(one)
    }
    const { sent } = await counting.count(() =>
      repo.transaction(async (r) => {
        await r.set({ state_id: 2, tax_type: 'vat' }, { from: '2023-01-01' }, { rate: '1' }, { actor: 'ann' })
        await r.set({ state_id: 3, tax_type: 'vat' }, { from: '2023-01-01' }, { rate: '1' }, { actor: 'ann' })
        await r.update({ state_id: 2, tax_type: 'vat' }, { from: '2023-03-01' }, { rate: '2' }, { actor: 'ann' })
      }),
    )
    expect(sent.map(statementKind)).toEqual(['begin', 'with', 'with', 'with', 'commit'])
    const rows = (await entityRows('tax_rates_entity')) as { id: string; state_id: number; tax_type: string }[]
    expect(rows.map((r) => [r.state_id, r.tax_type])).toEqual([
      [1, 'vat'],
      [2, 'vat'],
      [3, 'vat'],
    ])
    expect(new Set(rows.map((r) => r.id)).size).toBe(3)
  })

  it('a rolled-back first write leaves no entity row', async () => {
    const repo = bitemporal(database().db, customers)
    await rejection(
      repo.transaction(async (r) => {
        await r.set({ customer_id: 50 }, { from: '2023-01-01' }, { name: 'gone' })
        throw new Error('roll back')
      }),
    )
    expect(await entityRows('customers_entity')).not.toContainEqual({ customer_id: 50 })
  })

  it('bulk load creates the entity rows of the keys it loads', async () => {
    const repo = bitemporal(database().db, customers)
    const result = await repo.load([
      { key: { customer_id: 20 }, effective: { from: '2023-01-01', to: '2023-02-01' }, values: { name: 'a' } },
      { key: { customer_id: 20 }, effective: { from: '2023-02-01' }, values: { name: 'b' } },
      { key: { customer_id: 21 }, effective: { from: '2023-01-01' }, values: { name: 'c' } },
      { key: { customer_id: 1 }, effective: { from: '2030-01-01' }, values: { name: 'later' } },
    ])
    expect(result.inserted).toBe(4)
    const rows = await entityRows('customers_entity')
    for (const id of [1, 20, 21]) expect(rows).toContainEqual({ customer_id: id })
  })
})

describe('plain foreign keys to the entity', () => {
  it('a non-temporal table references a written key, and not an unknown one', async () => {
    const db: Db = database().db
    await bitemporal(db, customers).set({ customer_id: 7 }, { from: '2023-01-01' }, { name: 'Grace' })
    await sql`insert into orders values (1, 7)`.execute(db)
    expect(await thrownCode(() => sql`insert into orders values (2, 8)`.execute(db))).toBe('23503')
    const { rows } = await sql<{ id: string }>`select id::text from tax_rates_entity where state_id = 1 and tax_type = 'vat'`.execute(db)
    await sql`insert into invoices values (1, ${rows[0]?.id})`.execute(db)
  })

  it('the entity row survives the end of its validity: the order still points at the thing', async () => {
    const db: Db = database().db
    const repo = bitemporal(db, customers)
    await repo.set({ customer_id: 8 }, { from: '2023-01-01' }, { name: 'Alan' })
    await sql`insert into orders values (3, 8)`.execute(db)
    await repo.delete({ customer_id: 8 }, { from: '2023-01-01' })
    expect(await repo.timeline({ customer_id: 8 })).toEqual([])
    expect(await entityRows('customers_entity')).toContainEqual({ customer_id: 8 })
    // Writing the key again reuses the row; the stable id of a composite key does not change.
    await repo.set({ customer_id: 8 }, { from: '2024-01-01' }, { name: 'Alan again' })
    const id = async () =>
      (await sql<{ id: string }>`select id::text from tax_rates_entity where state_id = 1 and tax_type = 'vat'`.execute(db)).rows[0]?.id
    const before = await id()
    await bitemporal(db, taxRates).set({ state_id: 1, tax_type: 'vat' }, { from: '2025-01-01' }, { rate: '0.3' }, { actor: 'bob' })
    expect(await id()).toBe(before)
  })

  it('the entity row cannot be deleted while its versions or plain rows reference it', async () => {
    const db: Db = database().db
    expect(await thrownCode(() => sql`delete from customers_entity where customer_id = 7`.execute(db))).toBe('23503')
    expect(await thrownCode(() => sql`insert into customers (customer_id, effective) values (12345, '[2023-01-01,)')`.execute(db))).toBe('23503')
  })
})

describe('DDL', () => {
  it('dropTable drops the entity table after the versions table', async () => {
    const scratch = defineTable({ name: 'scratch', key: { a: 'integer', b: 'integer' }, values: {}, entity: true })
    await createTable(database().db, scratch)
    await bitemporal(database().db, scratch).insert({ a: 1, b: 2 }, { from: '2023-01-01' }, {})
    await dropTable(database().db, scratch, { discardHistory: true })
    const { rows } = await sql<{ t: string | null }>`select to_regclass('scratch_entity')::text as t`.execute(database().db)
    expect(rows[0]?.t).toBeNull()
  })

  it("refuses a composite key with a column named like the surrogate id", () => {
    expect(() => defineTable({ name: 'bad', key: { id: 'integer', kind: 'text' }, values: {}, entity: true })).toThrow(/surrogate id/)
    // A single-column key "id" has no surrogate, so it is fine.
    expect(defineTable({ name: 'fine', key: { id: 'integer' }, values: {}, entity: true }).entity).toBe(true)
  })
})
