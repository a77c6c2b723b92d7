import { type Kysely, sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { ConcurrentWriteError, ReferenceViolationError } from '../../src/errors/errors.js'
import { mapDatabaseError } from '../../src/errors/map-database-error.js'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { createTable, dropTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { transaction } from '../../src/transaction/transaction.js'
import { statementKind } from '../support/counting-pool.js'
import { useTestDatabase } from '../support/database.js'
import { ownConnections } from '../support/own-connections.js'
import { blockedOrSettled, track, waitUntilBlocked } from '../support/lock-wait.js'
import { rejection } from '../support/rejection.js'
import { rejectsWithCode } from '../support/rejects-with-code.js'

// Issue 7, item 2: in current knowledge, every child version lies inside the
// union of its parent's current versions, enforced by the database at commit
// on both sides.

const database = useTestDatabase()

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw SQL on tables the tests create
type Db = Kysely<any>

const customers = defineTable({ name: 'customers', key: { customer_id: 'integer' }, values: { name: 'text' } })
const contracts = defineTable({
  name: 'contracts',
  key: { contract_id: 'integer' },
  values: { customer_id: 'integer', fee: 'numeric' },
  references: [{ table: customers, columns: { customer_id: 'customer_id' } }],
})
// A cascading child, audited, whose key starts with the referencing column.
const addresses = defineTable({
  name: 'addresses',
  key: { customer_id: 'integer', kind: 'text' },
  values: { city: 'text not null' },
  audit: true,
  references: [{ table: customers, columns: { customer_id: 'customer_id' }, onParentDelete: 'cascade' }],
})

const customer = (db: Db = database().db) => bitemporal(db, customers)
const contract = (db: Db = database().db) => bitemporal(db, contracts)
const address = (db: Db = database().db) => bitemporal(db, addresses)

beforeAll(async () => {
  await install(database().db)
  await createTable(database().db, customers)
  await createTable(database().db, contracts)
  await createTable(database().db, addresses)
})

let lastId = 0
const newId = (): number => ++lastId

/** A customer valid over the given ranges, each written as its own version. */
async function customerOver(...ranges: readonly [string, string | null][]): Promise<number> {
  const id = newId()
  for (const [from, to] of ranges) await customer().insert({ customer_id: id }, { from, to }, { name: `c${String(id)}` })
  return id
}

type Span = readonly [from: string, to: string | null]

async function contractSpans(contractId: number): Promise<Span[]> {
  return (await contract().timeline({ contract_id: contractId })).map((v) => [v.effective.from, v.effective.to] as const)
}

async function customerSpans(customerId: number): Promise<Span[]> {
  return (await customer().timeline({ customer_id: customerId })).map((v) => [v.effective.from, v.effective.to] as const)
}

async function expectViolation(run: () => Promise<unknown>, ...fragments: readonly string[]): Promise<Error> {
  const error = await rejectsWithCode(run, 'REFERENCE_VIOLATION')
  expect(error).toBeInstanceOf(ReferenceViolationError)
  expect(error.sqlState).toBe('BT002')
  for (const fragment of fragments) expect(error.message).toContain(fragment)
  return error
}

describe('a child write', () => {
  it('inside its parent validity passes', async () => {
    const c = await customerOver(['2023-01-01', null])
    const k = newId()
    await contract().insert({ contract_id: k }, { from: '2023-02-01', to: '2023-06-01' }, { customer_id: c, fee: '10' })
    await contract().set({ contract_id: k }, { from: '2023-06-01' }, { customer_id: c, fee: '12' })
    expect(await contractSpans(k)).toEqual([
      ['2023-02-01', '2023-06-01'],
      ['2023-06-01', null],
    ])
  })

  it('wholly outside its parent validity fails, naming the child key and the uncovered period, and writes nothing', async () => {
    const c = await customerOver(['2023-01-01', '2023-06-01'])
    const k = newId()
    await expectViolation(
      () => contract().insert({ contract_id: k }, { from: '2023-07-01', to: '2023-08-01' }, { customer_id: c, fee: '10' }),
      `(contract_id)=(${String(k)})`,
      `(customer_id)=(${String(c)})`,
      '{[2023-07-01,2023-08-01)}',
    )
    expect(await contractSpans(k)).toEqual([])
  })

  it('partially outside fails with just the uncovered part', async () => {
    const c = await customerOver(['2023-01-01', '2023-06-01'])
    const k = newId()
    const error = await expectViolation(
      () => contract().insert({ contract_id: k }, { from: '2023-05-01' }, { customer_id: c, fee: '10' }),
      `(contract_id)=(${String(k)})`,
      'valid over [2023-05-01,)',
      'not covered over {[2023-06-01,)}',
    )
    expect(error.message).not.toContain('2023-05-01,2023-06-01')
    // Open-ended child before the parent starts: two uncovered pieces.
    await expectViolation(
      () => contract().insert({ contract_id: k }, { from: '2022-12-01' }, { customer_id: c, fee: '10' }),
      '{[2022-12-01,2023-01-01),[2023-06-01,)}',
    )
  })

  it('to a parent that does not exist fails', async () => {
    const missing = newId()
    await expectViolation(
      () => contract().insert({ contract_id: newId() }, { from: '2023-01-01' }, { customer_id: missing, fee: '1' }),
      `(customer_id)=(${String(missing)})`,
      '{[2023-01-01,)}',
    )
  })

  it('with a null referencing column references nothing', async () => {
    const k = newId()
    await contract().insert({ contract_id: k }, { from: '2023-01-01' }, { customer_id: null, fee: '1' })
    expect(await contractSpans(k)).toEqual([['2023-01-01', null]])
  })

  it('passes when the parent is covered only by several adjacent versions together', async () => {
    const c = await customerOver(['2023-01-01', '2023-03-01'], ['2023-03-01', '2023-05-01'], ['2023-05-01', null])
    const k = newId()
    await contract().insert({ contract_id: k }, { from: '2023-02-01', to: '2023-06-01' }, { customer_id: c, fee: '1' })
    expect(await contractSpans(k)).toEqual([['2023-02-01', '2023-06-01']])
  })

  it('across a gap in the parent fails with the gap', async () => {
    const c = await customerOver(['2023-01-01', '2023-03-01'], ['2023-04-01', null])
    await expectViolation(
      () => contract().insert({ contract_id: newId() }, { from: '2023-02-01', to: '2023-05-01' }, { customer_id: c, fee: '1' }),
      '{[2023-03-01,2023-04-01)}',
    )
  })

  it('moving a child to another parent is checked against the new parent', async () => {
    const c1 = await customerOver(['2023-01-01', null])
    const c2 = await customerOver(['2023-06-01', null])
    const k = newId()
    await contract().insert({ contract_id: k }, { from: '2023-01-01' }, { customer_id: c1, fee: '1' })
    await expectViolation(
      () => contract().update({ contract_id: k }, { from: '2023-03-01' }, { customer_id: c2 }),
      `(customer_id)=(${String(c2)})`,
      '{[2023-03-01,2023-06-01)}',
    )
    await contract().update({ contract_id: k }, { from: '2023-07-01' }, { customer_id: c2 })
  })
})

describe('a parent write', () => {
  it('deleting a portion that leaves a child uncovered fails, naming the child and the period, and writes nothing', async () => {
    const c = await customerOver(['2023-01-01', null])
    const k = newId()
    await contract().insert({ contract_id: k }, { from: '2023-03-01', to: '2023-09-01' }, { customer_id: c, fee: '1' })
    await expectViolation(
      () => customer().delete({ customer_id: c }, { from: '2023-06-01', to: '2023-07-01' }),
      `(customer_id)=(${String(c)})`,
      `(contract_id)=(${String(k)}) valid over [2023-03-01,2023-09-01) would not be covered over {[2023-06-01,2023-07-01)}`,
    )
    expect(await customerSpans(c)).toEqual([['2023-01-01', null]])
  })

  it('deleting the whole parent (terminating it) fails while a child is valid', async () => {
    const c = await customerOver(['2023-01-01', null])
    await contract().insert({ contract_id: newId() }, { from: '2023-03-01' }, { customer_id: c, fee: '1' })
    await expectViolation(() => customer().delete({ customer_id: c }, { from: '2023-01-01' }), '{[2023-03-01,)}')
    await expectViolation(() => customer().delete({ customer_id: c }, { from: '2024-01-01' }), '{[2024-01-01,)}')
  })

  it('shrinking outside the children passes, with or without covering siblings', async () => {
    const c = await customerOver(['2023-01-01', '2023-06-01'], ['2023-06-01', null])
    const k = newId()
    await contract().insert({ contract_id: k }, { from: '2023-05-01', to: '2023-07-01' }, { customer_id: c, fee: '1' })
    await customer().delete({ customer_id: c }, { from: '2023-01-01', to: '2023-05-01' })
    await customer().delete({ customer_id: c }, { from: '2023-07-01' })
    expect(await customerSpans(c)).toEqual([
      ['2023-05-01', '2023-06-01'],
      ['2023-06-01', '2023-07-01'],
    ])
    // Rewriting the parent's values across both siblings keeps the child covered.
    await customer().set({ customer_id: c }, { from: '2023-05-01', to: '2023-07-01' }, { name: 'renamed' })
    await customer().update({ customer_id: c }, { from: '2023-05-15', to: '2023-05-20' }, { name: 'briefly' })
    // The sibling [Jun, Jul) alone cannot cover [May, Jul).
    await expectViolation(() => customer().delete({ customer_id: c }, { from: '2023-05-01', to: '2023-06-01' }), '{[2023-05-01,2023-06-01)}')
  })

  it('a key change (delete one key, insert another) fails unless the children move too, in the same transaction', async () => {
    const oldId = await customerOver(['2023-01-01', null])
    const newCustomer = newId()
    const k = newId()
    await contract().insert({ contract_id: k }, { from: '2023-02-01' }, { customer_id: oldId, fee: '1' })
    const rename = (moveChildren: boolean) =>
      transaction(database().db, async (trx) => {
        await customer(trx).delete({ customer_id: oldId }, { from: '2023-01-01' })
        await customer(trx).insert({ customer_id: newCustomer }, { from: '2023-01-01' }, { name: 'renamed' })
        if (moveChildren) await contract(trx).update({ contract_id: k }, { from: '2023-02-01' }, { customer_id: newCustomer })
      })
    await expectViolation(() => rename(false), `(contract_id)=(${String(k)})`, `(customer_id)=(${String(oldId)})`)
    expect(await customerSpans(oldId)).toEqual([['2023-01-01', null]])
    await rename(true)
    expect(await customerSpans(oldId)).toEqual([])
    expect((await contract().asOf({ contract_id: k }, { validAt: '2023-03-01' }))?.values.customer_id).toBe(newCustomer)
  })

  it('raw SQL that closes a parent row is checked too: the database enforces it, not the library', async () => {
    const c = await customerOver(['2023-01-01', null])
    await contract().insert({ contract_id: newId() }, { from: '2023-01-01' }, { customer_id: c, fee: '1' })
    const error = await rejection(
      sql`update customers set system = tsrange(lower(system), bitemporal.system_time()) where customer_id = ${c} and upper_inf(system)`.execute(
        database().db,
      ),
    )
    expect(mapDatabaseError(error)).toBeInstanceOf(ReferenceViolationError)
  })
})

describe('parent and child in one transaction', () => {
  it('child first, then its parent: checked at commit, so the order does not matter', async () => {
    const c = newId()
    const k = newId()
    await transaction(database().db, async (trx) => {
      await contract(trx).insert({ contract_id: k }, { from: '2023-02-01' }, { customer_id: c, fee: '1' })
      await customer(trx).insert({ customer_id: c }, { from: '2023-01-01' }, { name: 'late' })
    })
    expect(await contractSpans(k)).toEqual([['2023-02-01', null]])
  })

  it('shrinking the parent and the child together passes; shrinking only the parent fails at commit', async () => {
    const c = await customerOver(['2023-01-01', null])
    const k = newId()
    await contract().insert({ contract_id: k }, { from: '2023-01-01' }, { customer_id: c, fee: '1' })
    await transaction(database().db, async (trx) => {
      await customer(trx).delete({ customer_id: c }, { from: '2024-01-01' })
      await contract(trx).delete({ contract_id: k }, { from: '2024-01-01' })
    })
    expect(await contractSpans(k)).toEqual([['2023-01-01', '2024-01-01']])
    const error = await expectViolation(() =>
      transaction(database().db, async (trx) => {
        await customer(trx).delete({ customer_id: c }, { from: '2023-06-01' })
      }),
    )
    expect(error.message).toContain('{[2023-06-01,2024-01-01)}')
    expect(await customerSpans(c)).toEqual([['2023-01-01', '2024-01-01']])
  })

  it('a parent version written and replaced within the transaction', async () => {
    const c = newId()
    const k = newId()
    await transaction(database().db, async (trx) => {
      await customer(trx).insert({ customer_id: c }, { from: '2023-01-01' }, { name: 'a' })
      await contract(trx).insert({ contract_id: k }, { from: '2023-01-01' }, { customer_id: c, fee: '1' })
      // Replaces (deletes) the row this transaction inserted: still covered.
      await customer(trx).set({ customer_id: c }, { from: '2023-01-01' }, { name: 'b' })
    })
    await expectViolation(() =>
      transaction(database().db, async (trx) => {
        await customer(trx).insert({ customer_id: c + 1000 }, { from: '2023-01-01' }, { name: 'x' })
        await contract(trx).insert({ contract_id: k + 1000 }, { from: '2023-01-01' }, { customer_id: c + 1000, fee: '1' })
        await customer(trx).delete({ customer_id: c + 1000 }, { from: '2023-06-01' })
      }),
    )
  })
})

describe("onParentDelete: 'cascade'", () => {
  it('ends the children over the portion the parent lost, closing and re-inserting as delete does', async () => {
    const c = await customerOver(['2023-01-01', null])
    await address().set({ customer_id: c, kind: 'home' }, { from: '2023-01-01' }, { city: 'Oslo' }, { actor: 'ann' })
    await address().set({ customer_id: c, kind: 'work' }, { from: '2023-03-01', to: '2023-05-01' }, { city: 'Bergen' }, { actor: 'ann' })
    const before = await address().history({ customer_id: c, kind: 'home' })
    await customer().delete({ customer_id: c }, { from: '2023-04-01', to: '2023-10-01' }, {})
    const home = await address().timeline({ customer_id: c, kind: 'home' })
    expect(home.map((v) => [v.effective.from, v.effective.to])).toEqual([
      ['2023-01-01', '2023-04-01'],
      ['2023-10-01', null],
    ])
    expect(home.map((v) => v.values.city)).toEqual(['Oslo', 'Oslo'])
    // Both are new rows, recorded by the cascade.
    expect(home[0]?.audit).toMatchObject({ recordedBy: 'bitemporal' })
    expect(home[1]?.audit).toMatchObject({ recordedBy: 'bitemporal', recordedReason: `cascade: customers (customer_id)=(${String(c)}) ended` })
    const work = await address().timeline({ customer_id: c, kind: 'work' })
    expect(work.map((v) => [v.effective.from, v.effective.to])).toEqual([['2023-03-01', '2023-04-01']])
    // History intact: the old version is closed, not gone, at the parent's system time.
    const history = await address().history({ customer_id: c, kind: 'home' })
    expect(history).toHaveLength(before.length + 2)
    const parentTime = (await customer().history({ customer_id: c })).at(-1)?.system.from
    expect(history[0]?.system.to).toBe(parentTime)
    expect(history[0]?.audit).toMatchObject({ closedBy: 'bitemporal', closedReason: `cascade: customers (customer_id)=(${String(c)}) ended` })
    expect(await address().timeline({ customer_id: c, kind: 'home' }, { knownAt: before[0]?.system.from ?? '' })).toHaveLength(1)
  })

  it('in the same transaction as a child written there: rows of the transaction are replaced, not closed', async () => {
    const c = await customerOver(['2023-01-01', null])
    await transaction(database().db, async (trx) => {
      await address(trx).insert({ customer_id: c, kind: 'home' }, { from: '2023-02-01' }, { city: 'Oslo' }, { actor: 'ann' })
      await customer(trx).delete({ customer_id: c }, { from: '2023-06-01' })
    })
    expect((await address().history({ customer_id: c, kind: 'home' })).map((v) => [v.effective, v.system.to])).toEqual([
      [{ from: '2023-02-01', to: '2023-06-01' }, null],
    ])
  })
})

describe('concurrency: a parent shrink and a child insert into the same portion, on two connections', () => {
  const { connect, begin } = ownConnections(() => database().url)

  it('parent shrinks first (uncommitted): the child commit waits for it, then fails', async () => {
    const c = await customerOver(['2023-01-01', null])
    const k = newId()
    const [a, b] = [await connect(), await connect()]
    const parentTrx = await begin(a.db)
    await customer(parentTrx).delete({ customer_id: c }, { from: '2023-06-01' })
    const childTrx = await begin(b.db)
    await contract(childTrx).insert({ contract_id: k }, { from: '2023-07-01' }, { customer_id: c, fee: '1' })
    const childCommit = track(childTrx.commit().execute())
    // The child's check locks the parent's current rows and waits for the parent writer.
    expect(await waitUntilBlocked(database().db, b.pid, childCommit)).toContain(a.pid)
    await parentTrx.commit().execute()
    expect(mapDatabaseError(await rejection(childCommit.promise))).toBeInstanceOf(ReferenceViolationError)
    expect(await contractSpans(k)).toEqual([])
    expect(await customerSpans(c)).toEqual([['2023-01-01', '2023-06-01']])
  })

  it('child inserted first (uncommitted): the parent commits first, then the child commit fails', async () => {
    const c = await customerOver(['2023-01-01', null])
    const k = newId()
    const [a, b] = [await connect(), await connect()]
    const childTrx = await begin(b.db)
    await contract(childTrx).insert({ contract_id: k }, { from: '2023-07-01' }, { customer_id: c, fee: '1' })
    const parentTrx = await begin(a.db)
    await customer(parentTrx).delete({ customer_id: c }, { from: '2023-06-01' })
    // The parent's check cannot see the uncommitted child, so it commits...
    await parentTrx.commit().execute()
    // ...and the child's check, at its commit, sees the parent's shrink.
    expect(mapDatabaseError(await rejection(childTrx.commit().execute()))).toBeInstanceOf(ReferenceViolationError)
    expect(await contractSpans(k)).toEqual([])
  })

  it('child committing first holds the parent rows: the parent write waits, then its commit fails', async () => {
    const c = await customerOver(['2023-01-01', null])
    const k = newId()
    const [a, b] = [await connect(), await connect()]
    const childTrx = await begin(b.db)
    await contract(childTrx).insert({ contract_id: k }, { from: '2023-07-01' }, { customer_id: c, fee: '1' })
    // Run the child's deferred check now, inside its transaction: it takes the share locks.
    await sql`set constraints all immediate`.execute(childTrx)
    const parentTrx = await begin(a.db)
    const parentWrite = track(customer(parentTrx).delete({ customer_id: c }, { from: '2023-06-01' }))
    const outcome = await blockedOrSettled(database().db, a.pid, parentWrite)
    expect(outcome).toMatchObject({ state: 'blocked', blockers: [b.pid] })
    await childTrx.commit().execute()
    await parentWrite.promise
    expect(mapDatabaseError(await rejection(parentTrx.commit().execute()))).toBeInstanceOf(ReferenceViolationError)
    expect(await contractSpans(k)).toEqual([['2023-07-01', null]])
    expect(await customerSpans(c)).toEqual([['2023-01-01', null]])
  })
})

describe('concurrency: a cascade meets a child version committed by a transaction that started after it', () => {
  const { connect, begin } = ownConnections(() => database().url)

  it('the parent write is refused with a retryable ConcurrentWriteError, writing nothing, and transaction() runs it again after the child', async () => {
    const c = await customerOver(['2023-01-01', null])
    const [a, b] = [await connect(), await connect()]
    const parentTrx = await begin(a.db)
    // The parent's transaction has its system time before the child's exists.
    await sql`select bitemporal.system_time()`.execute(parentTrx)
    const childTrx = await begin(b.db)
    await address(childTrx).set({ customer_id: c, kind: 'home' }, { from: '2023-02-01' }, { city: 'Oslo' }, { actor: 'ann' })
    await childTrx.commit().execute()
    // The cascade runs with the parent's write; closing the child at the
    // parent's earlier time would end it before it began.
    const refused = await rejection(customer(parentTrx).delete({ customer_id: c }, { from: '2023-06-01' }))
    expect(refused).toBeInstanceOf(ConcurrentWriteError)
    expect((refused as ConcurrentWriteError).retryable).toBe(true)
    await parentTrx.rollback().execute()
    expect(await customerSpans(c)).toEqual([['2023-01-01', null]])
    expect((await address().history({ customer_id: c, kind: 'home' })).map((v) => [v.effective.from, v.effective.to, v.system.to])).toEqual([['2023-02-01', null, null]])

    let attempts = 0
    await transaction(database().db, async (trx) => {
      attempts++
      await sql`select bitemporal.system_time()`.execute(trx)
      if (attempts === 1) await address().set({ customer_id: c, kind: 'work' }, { from: '2023-03-01' }, { city: 'Bergen' }, { actor: 'ann' })
      await customer(trx).delete({ customer_id: c }, { from: '2023-06-01' })
    })
    expect(attempts).toBe(2)
    expect(await customerSpans(c)).toEqual([['2023-01-01', '2023-06-01']])
    for (const kind of ['home', 'work']) {
      expect((await address().timeline({ customer_id: c, kind })).map((v) => v.effective.to)).toEqual(['2023-06-01'])
    }
  })

  it('a single parent write meets it while it waits for a share lock on the parent, and the library runs it again after the child', async () => {
    const c = await customerOver(['2023-01-01', null])
    const [a, b, h] = [await connect(), await connect(), await connect()]
    // Another transaction holds the parent's current version FOR SHARE (as a child's check does), so the parent write waits to close it.
    const holder = await begin(h.db)
    await sql`select 1 from customers where customer_id = ${c} and upper_inf(system) for share`.execute(holder)
    const parentWrite = track(a.count(() => customer(a.db).delete({ customer_id: c }, { from: '2023-06-01' })))
    expect(await waitUntilBlocked(database().db, a.pid, parentWrite)).toContain(h.pid)
    // Meanwhile a transaction that started after the parent's statement writes a child and commits.
    await address(b.db).set({ customer_id: c, kind: 'home' }, { from: '2023-02-01' }, { city: 'Oslo' }, { actor: 'ann' })
    await holder.commit().execute()

    const { sent, result } = await parentWrite.promise
    expect(result.systemTime).not.toBeNull()
    // The first statement's cascade met the later child and raised 40001; the retry ran after the child.
    expect(sent.map(statementKind)).toEqual(['with', 'with'])
    expect(await customerSpans(c)).toEqual([['2023-01-01', '2023-06-01']])
    expect((await address().timeline({ customer_id: c, kind: 'home' })).map((v) => [v.effective.from, v.effective.to])).toEqual([['2023-02-01', '2023-06-01']])
  })
})

describe('DDL', () => {
  it('dropTable of a child removes its trigger from the parent', async () => {
    const parent = defineTable({ name: 'drop_parent', key: { id: 'integer' }, values: {} })
    const child = defineTable({ name: 'drop_child', key: { id: 'integer' }, values: { parent_id: 'integer' }, references: [{ table: parent, columns: { parent_id: 'id' } }] })
    await createTable(database().db, parent)
    await createTable(database().db, child)
    const triggers = async () =>
      (await sql<{ n: number }>`select count(*)::int as n from pg_trigger where tgrelid = 'drop_parent'::regclass and tgname like 'drop_child_%'`.execute(database().db))
        .rows[0]?.n
    expect(await triggers()).toBe(1)
    await dropTable(database().db, child)
    expect(await triggers()).toBe(0)
    await bitemporal(database().db, parent).insert({ id: 1 }, { from: '2023-01-01' }, {})
    await bitemporal(database().db, parent).delete({ id: 1 }, { from: '2023-01-01' })
  })
})
