import { type Kysely, sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { checkTableData } from '../../src/cli/check-table-data.js'
import { mapDatabaseError } from '../../src/errors/map-database-error.js'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { turnOnAuditSql } from '../../src/schema/alter-table/turn-on-audit-sql.js'
import { turnOnEntitySql } from '../../src/schema/alter-table/turn-on-entity-sql.js'
import { turnOnReferencesSql } from '../../src/schema/alter-table/turn-on-references-sql.js'
import { alterTable } from '../../src/schema/alter-table/alter-table.js'
import { alterTableSql } from '../../src/schema/alter-table/alter-table-sql.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable, type TableDefinition } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'
import { rejectsWithCode } from '../support/rejects-with-code.js'
import { rejection } from '../support/rejection.js'

// Issue 16, item 1: turning on audit, entity and references on a table that
// was created without them and already holds history (docs/semantics.md §5a,
// docs/schema.md "Turning on audit, entity, references").

const database = useTestDatabase()
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw SQL on the tables the tests create
const db = (): Kysely<any> => database().db

/**
 * Takes a table to `next`, which turns a feature on, with alterTable; the
 * statements alterTable sends for it (`turnOn…Sql`) must be in its preview.
 */
async function turnOn(next: TableDefinition, statements: readonly string[]): Promise<void> {
  const preview = await alterTableSql(db(), next)
  for (const statement of statements) expect(preview).toContain(statement.slice(0, 60))
  await alterTable(db(), next)
}

/** Every row of `table`, as text, in a stable order: what history holds, version by version. */
async function rowsOf(table: string, columns: readonly string[]): Promise<string[]> {
  const list = columns.map((column) => `${column}::text`).join(` || ' | ' || `)
  const { rows } = await sql<{ r: string }>`select ${sql.raw(list)} as r from ${sql.table(table)} order by 1`.execute(db())
  return rows.map((row) => row.r)
}

async function triggersOn(table: string): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select tgname as name from pg_trigger where tgrelid = ${table}::regclass and not tgisinternal order by 1`.execute(db())
  return rows.map((row) => row.name)
}

beforeAll(async () => {
  await install(db())
})

describe('turning audit on', () => {
  const plain = defineTable({ name: 'rates', key: { rate_id: 'integer' }, values: { amount: 'numeric' } })
  const audited = defineTable({ name: 'rates', key: { rate_id: 'integer' }, values: { amount: 'numeric' }, audit: true })
  const columns = ['rate_id', 'amount', 'effective', 'system']
  const unknown = { recordedBy: null, recordedReason: null, closedBy: null, closedReason: null }
  let before: string[]
  let beforeHistory: Awaited<ReturnType<ReturnType<typeof bitemporal<typeof plain>>['history']>>
  let lastWriteBefore: string

  beforeAll(async () => {
    await createTable(db(), plain)
    const repo = bitemporal(db(), plain)
    await repo.set({ rate_id: 1 }, { from: '2024-01-01' }, { amount: '1.00' })
    await repo.update({ rate_id: 1 }, { from: '2024-06-01' }, { amount: '2.00' })
    await repo.correct({ rate_id: 1 }, { at: '2024-02-01' }, { amount: '1.50' })
    await repo.set({ rate_id: 2 }, { from: '2024-01-01' }, { amount: '9.00' })
    lastWriteBefore = (await repo.delete({ rate_id: 2 }, { from: '2024-03-01' })).systemTime ?? ''
    before = await rowsOf('rates', columns)
    beforeHistory = await repo.history({ rate_id: 1 })
    await turnOn(audited, turnOnAuditSql(audited))
  })

  it('keeps every version, and reads the versions recorded before with nobody as recorder or closer', async () => {
    expect(await rowsOf('rates', columns)).toEqual(before)
    const history = await bitemporal(db(), audited).history({ rate_id: 1 })
    expect(history).toEqual(beforeHistory.map((version) => ({ ...version, audit: unknown })))
    expect(history).toHaveLength(4)
  })

  it('reads knowledge from before the change, by version and by change', async () => {
    const repo = bitemporal(db(), audited)
    const known = await repo.asOf({ rate_id: 2 }, { validAt: '2024-02-01', knownAt: lastWriteBefore })
    expect(known).toMatchObject({ values: { amount: '9.00' }, audit: unknown })
    const changes = await repo.changes({ since: '2024-01-01T00:00:00Z', key: { rate_id: 2 } })
    expect(changes.map((change) => [change.kind, change.audit])).toEqual([
      ['asserted', { actor: null, reason: null }],
      ['retracted', { actor: null, reason: null }],
      ['asserted', { actor: null, reason: null }],
    ])
  })

  it('makes every write name its actor, and records who closes a version recorded before', async () => {
    const repo = bitemporal(db(), audited)
    await rejectsWithCode(() => repo.update({ rate_id: 1 }, { from: '2024-09-01' }, { amount: '3.00' }), 'INVALID_INPUT')
    const { systemTime } = await repo.update({ rate_id: 1 }, { from: '2024-09-01' }, { amount: '3.00' }, { actor: 'ana', reason: 'new tariff' })
    const history = await repo.history({ rate_id: 1 })
    const closedNow = history.filter((version) => version.system.to === systemTime)
    expect(closedNow.map((version) => version.audit)).toEqual([{ recordedBy: null, recordedReason: null, closedBy: 'ana', closedReason: 'new tariff' }])
    const recordedNow = history.filter((version) => version.system.from === systemTime)
    expect(recordedNow.map((version) => [version.values.amount, version.audit?.recordedBy])).toEqual([['2.00', 'ana'], ['3.00', 'ana']])
  })

  it('refuses a version recorded without an actor after the change, and an actor filled in afterwards', async () => {
    // A writer still using the definition without audit, and plain SQL.
    const stale = mapDatabaseError(await rejection(bitemporal(db(), plain).set({ rate_id: 4 }, { from: '2024-01-01' }, { amount: '4.00' })))
    expect([stale.sqlState, stale.message]).toEqual(['23514', expect.stringContaining('rates_audited_since')])
    const raw = mapDatabaseError(await rejection(sql`insert into rates (rate_id, amount, effective) values (5, 5, '[2024-01-01,)')`.execute(db())))
    expect(raw.sqlState).toBe('23514')
    await rejectsWithCode(() => sql`update rates set recorded_by = 'mallory' where recorded_by is null and upper_inf(system)`.execute(db()).catch((error: unknown) => { throw mapDatabaseError(error) }), 'IMMUTABLE_HISTORY')
    await rejectsWithCode(() => sql`update rates set recorded_by = 'mallory' where recorded_by is null and not upper_inf(system)`.execute(db()).catch((error: unknown) => { throw mapDatabaseError(error) }), 'IMMUTABLE_HISTORY')
    const { rows } = await sql<{ d: string }>`select pg_get_triggerdef(oid) as d from pg_trigger where tgname = 'rates_guard_delete'`.execute(db())
    expect(rows[0]?.d).toContain("guard_history('system', 'closed_by', 'closed_reason')")
  })

  it('lets bitemporal check pass the versions closed before the change, and still report a close around the library after it', async () => {
    const dataProblems = async (): Promise<readonly string[]> =>
      (
        await db()
          .transaction()
          .setIsolationLevel('repeatable read')
          .execute((trx) => checkTableData(trx, audited, 1, { advance: () => undefined, stop: () => undefined }))
      ).problems
    expect(await dataProblems()).toEqual([])
    await sql`update rates set system = tsrange(lower(system), bitemporal.system_time()) where rate_id = 1 and upper_inf(system) and recorded_by is null`.execute(db())
    expect(await dataProblems()).toEqual(['1 row closed without closed_by on an audited table (closed around the library), e.g. key {"rate_id": 1}'])
  })
})

describe('turning entity on', () => {
  const plain = defineTable({ name: 'accounts', key: { region: 'text', number: 'integer' }, values: { credit: 'integer' } })
  const withEntity = defineTable({ name: 'accounts', key: { region: 'text', number: 'integer' }, values: { credit: 'integer' }, entity: true })
  const columns = ['region', 'number', 'coalesce(credit::text, \'-\')', 'effective', 'system']
  let before: string[]

  beforeAll(async () => {
    await createTable(db(), plain)
    const repo = bitemporal(db(), plain)
    // First written in this order: (eu, 1), (us, 2), (eu, 3); not the key order.
    await repo.set({ region: 'eu', number: 1 }, { from: '2024-01-01' }, { credit: 100 })
    await repo.set({ region: 'us', number: 2 }, { from: '2024-01-01' }, { credit: 200 })
    await repo.update({ region: 'eu', number: 1 }, { from: '2024-03-01' }, { credit: 150 })
    await repo.correct({ region: 'eu', number: 1 }, { at: '2024-01-15' }, { credit: 110 })
    // A key whose whole validity was deleted: only closed and ended versions are left of it.
    await repo.delete({ region: 'us', number: 2 }, { from: '2024-01-01' })
    await repo.set({ region: 'eu', number: 3 }, { from: '2024-02-01', to: '2024-04-01' }, { credit: null })
    before = await rowsOf('accounts', columns)
    await turnOn(withEntity, turnOnEntitySql(withEntity))
  })

  it('keeps every version as it was', async () => {
    expect(await rowsOf('accounts', columns)).toEqual(before)
    expect(before).toHaveLength(6)
  })

  it('gives every key ever written an entity row, numbered in the order of its first write', async () => {
    const { rows } = await sql<{ id: string; region: string; number: number }>`
      select id::text, region, number from accounts_entity order by id`.execute(db())
    expect(rows).toEqual([
      { id: '1', region: 'eu', number: 1 },
      { id: '2', region: 'us', number: 2 },
      { id: '3', region: 'eu', number: 3 },
    ])
  })

  it('makes the versions reference their entity, so a version of an unknown key is refused', async () => {
    const refused = mapDatabaseError(await rejection(sql`insert into accounts (region, number, credit, effective) values ('xx', 9, 1, '[2024-01-01,)')`.execute(db())))
    expect(refused.sqlState).toBe('23503')
    expect(refused.message).toMatch(/accounts_entity_fk/)
  })

  it('lets writes create the entity rows of new keys and keep those of known ones, and plain tables reference them', async () => {
    const repo = bitemporal(db(), withEntity)
    await repo.set({ region: 'us', number: 2 }, { from: '2025-01-01' }, { credit: 250 })
    await repo.set({ region: 'eu', number: 4 }, { from: '2025-01-01' }, { credit: 400 })
    // A write to a known key takes an identity value too (its insert does nothing), as on any entity table.
    const { rows } = await sql<{ key: string }>`select region || number as key from accounts_entity order by id`.execute(db())
    expect(rows.map((row) => row.key)).toEqual(['eu1', 'us2', 'eu3', 'eu4'])
    await sql`create table statements (statement_id integer primary key, account_id bigint not null references accounts_entity (id))`.execute(db())
    await sql`insert into statements values (1, 2)`.execute(db())
    expect((await repo.history({ region: 'us', number: 2 })).map((version) => version.values.credit)).toEqual([200, 250])
  })
})

describe('turning references on', () => {
  const customers = defineTable({ name: 'customers', key: { customer_id: 'integer' }, values: { name: 'text' } })
  const plainContracts = defineTable({ name: 'contracts', key: { contract_id: 'integer' }, values: { customer_id: 'integer', fee: 'numeric' } })
  const contracts = defineTable({
    name: 'contracts',
    key: { contract_id: 'integer' },
    values: { customer_id: 'integer', fee: 'numeric' },
    references: [{ table: customers, columns: { customer_id: 'customer_id' } }],
  })
  const columns = ['contract_id', "coalesce(customer_id::text, '-')", 'fee', 'effective', 'system']
  const customer = () => bitemporal(db(), customers)

  beforeAll(async () => {
    await createTable(db(), customers)
    await createTable(db(), plainContracts)
    await customer().set({ customer_id: 1 }, { from: '2024-01-01' }, { name: 'Ada' })
    await customer().set({ customer_id: 2 }, { from: '2024-01-01', to: '2024-06-01' }, { name: 'Bo' })
    await customer().update({ customer_id: 2 }, { from: '2024-03-01' }, { name: 'Bo Ltd' })
    const contract = bitemporal(db(), plainContracts)
    await contract.set({ contract_id: 10 }, { from: '2024-02-01' }, { customer_id: 1, fee: '10.00' })
    await contract.update({ contract_id: 10 }, { from: '2024-05-01' }, { fee: '12.00' })
    // Once past customer 2's validity, corrected since: only current knowledge counts.
    await contract.set({ contract_id: 11 }, { from: '2024-01-01' }, { customer_id: 2, fee: '5.00' })
    await contract.delete({ contract_id: 11 }, { from: '2024-06-01' })
    // No customer: a null reference references nothing.
    await contract.set({ contract_id: 12 }, { from: '2023-01-01' }, { customer_id: null, fee: '1.00' })
  })

  it('holds on data that keeps the rule: history as it was, and new writes checked', async () => {
    const before = await rowsOf('contracts', columns)
    await turnOn(contracts, turnOnReferencesSql(contracts, contracts.references))
    expect(await rowsOf('contracts', columns)).toEqual(before)
    expect(await triggersOn('customers')).toContain('contracts_reference_0_parent')
    expect(await triggersOn('contracts')).toContain('contracts_reference_0')

    const contract = bitemporal(db(), contracts)
    const refused = await rejectsWithCode(() => contract.set({ contract_id: 13 }, { from: '2024-05-01' }, { customer_id: 2, fee: '1.00' }), 'REFERENCE_VIOLATION')
    expect(refused.message).toMatch(/\(contract_id\)=\(13\)/)
    await contract.set({ contract_id: 13 }, { from: '2024-05-01', to: '2024-06-01' }, { customer_id: 2, fee: '1.00' })
    // And the parent may no longer end under its children.
    await rejectsWithCode(() => customer().delete({ customer_id: 1 }, { from: '2024-04-01' }), 'REFERENCE_VIOLATION')
    expect((await contract.timeline({ contract_id: 10 })).map((version) => version.values.fee)).toEqual(['10.00', '12.00'])
  })

  it('is refused on data that breaks the rule, naming the uncovered versions, and changes nothing', async () => {
    const invoices = defineTable({ name: 'invoices', key: { invoice_id: 'integer' }, values: { customer_id: 'integer' } })
    const checkedInvoices = defineTable({
      name: 'invoices',
      key: { invoice_id: 'integer' },
      values: { customer_id: 'integer' },
      references: [{ table: customers, columns: { customer_id: 'customer_id' } }],
    })
    await createTable(db(), invoices)
    const invoice = bitemporal(db(), invoices)
    await invoice.set({ invoice_id: 1 }, { from: '2024-02-01' }, { customer_id: 1 }) // covered
    // Seven uncovered: customer 2 ends on 2024-06-01, customer 3 does not exist.
    for (const id of [2, 3, 4, 5, 6]) await invoice.set({ invoice_id: id }, { from: '2024-05-01' }, { customer_id: 2 })
    await invoice.set({ invoice_id: 7 }, { from: '2023-12-01', to: '2024-02-01' }, { customer_id: 1 })
    await invoice.set({ invoice_id: 8 }, { from: '2024-01-01' }, { customer_id: 3 })
    const before = await rowsOf('invoices', ['invoice_id', 'customer_id', 'effective', 'system'])
    const triggersBefore = [await triggersOn('customers'), await triggersOn('invoices')]

    const refused = await rejectsWithCode(() => turnOn(checkedInvoices, turnOnReferencesSql(checkedInvoices, checkedInvoices.references)), 'REFERENCE_VIOLATION')
    expect(refused.sqlState).toBe('BT002')
    expect(refused.message).toContain('cannot turn on the reference from "invoices" (customer_id) to "customers" (customer_id)')
    expect(refused.message).toContain('7 current versions are not covered')
    expect(refused.message).toContain('(invoice_id)=(2) valid over [2024-05-01,) is not covered over {[2024-06-01,)}')
    expect(refused.message).toContain('(invoice_id)=(6) valid over [2024-05-01,) is not covered over {[2024-06-01,)}')
    expect(refused.message).toContain('(and 2 more)')
    expect(refused.message).not.toMatch(/\(invoice_id\)=\(1\)/)

    expect(await rowsOf('invoices', ['invoice_id', 'customer_id', 'effective', 'system'])).toEqual(before)
    expect([await triggersOn('customers'), await triggersOn('invoices')]).toEqual(triggersBefore)
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_indexes where indexname = 'invoices_reference_0_current'`.execute(db())
    expect(rows[0]?.n).toBe(0)
  })
})

describe('turning audit and a cascading reference on at once', () => {
  const shops = defineTable({ name: 'shops', key: { shop_id: 'integer' }, values: { city: 'text' } })
  const plainOrders = defineTable({ name: 'orders', key: { order_id: 'integer' }, values: { shop_id: 'integer' } })
  const orders = defineTable({
    name: 'orders',
    key: { order_id: 'integer' },
    values: { shop_id: 'integer' },
    audit: true,
    references: [{ table: shops, columns: { shop_id: 'shop_id' }, onParentDelete: 'cascade' }],
  })

  it('records the cascade as the audited child needs, closing a version recorded before audit', async () => {
    await createTable(db(), shops)
    await createTable(db(), plainOrders)
    await bitemporal(db(), shops).set({ shop_id: 1 }, { from: '2024-01-01' }, { city: 'Oslo' })
    await bitemporal(db(), plainOrders).set({ order_id: 7 }, { from: '2024-02-01' }, { shop_id: 1 })
    await turnOn(orders, [...turnOnAuditSql(orders), ...turnOnReferencesSql(orders, orders.references)])

    await bitemporal(db(), shops).delete({ shop_id: 1 }, { from: '2024-06-01' })
    const history = await bitemporal(db(), orders).history({ order_id: 7 })
    expect(history.map((version) => [version.effective, version.system.to === null, version.audit])).toEqual([
      [{ from: '2024-02-01', to: null }, false, { recordedBy: null, recordedReason: null, closedBy: 'bitemporal', closedReason: 'cascade: shops (shop_id)=(1) ended' }],
      [{ from: '2024-02-01', to: '2024-06-01' }, true, { recordedBy: 'bitemporal', recordedReason: 'cascade: shops (shop_id)=(1) ended', closedBy: null, closedReason: null }],
    ])
  })
})
