import { sql, type SelectQueryBuilder } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { install } from '../../src/install/install.js'
import { asOf } from '../../src/query/as-of.js'
import { asOfPlugin } from '../../src/query/as-of-plugin.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'

// Issue 4: "every read must use an index". The as-of predicates are spelled
// for the table's own indexes (GiST on (key, effective, system) behind the
// exclusion constraint, partial btree on (key, lower(effective)) of current
// rows); these plans show the planner takes them, at 200k versions, with the
// planner's default settings (no enable_seqscan = off).

const database = useTestDatabase()
const accounts = defineTable({ name: 'accounts', key: { id: 'integer' }, values: { owner_id: 'integer not null', balance: 'integer not null' } })
const owners = defineTable({ name: 'owners', key: { id: 'integer' }, values: { name: 'text not null' } })
const KEYS = 2000
const MONTHS = 100
/** A system time between the bulk load and the last corrections. */
let past = ''

beforeAll(async () => {
  const { db } = database()
  await install(db)
  await createTable(db, accounts)
  await createTable(db, owners)
  // 2000 accounts with 100 monthly versions each: long histories, as in a ledger.
  await sql`
    insert into accounts (id, owner_id, balance, effective)
    select k, k % 500, m, daterange(('2010-01-01'::date + make_interval(months => m))::date,
                                    ('2010-01-01'::date + make_interval(months => m + 1))::date)
    from generate_series(1, ${KEYS}::int) as k, generate_series(0, ${MONTHS - 1}::int) as m`.execute(db)
  await sql`insert into owners (id, name, effective) select o, 'owner ' || o, daterange('2000-01-01', null) from generate_series(0, 19999) as o`.execute(db)
  // Retroactive corrections through the repository, so past knowledge differs from current knowledge.
  const repo = bitemporal(db, accounts)
  for (let id = 1; id <= 40; id++) {
    const { systemTime } = await repo.set({ id }, { from: '2012-01-01', to: '2013-01-01' }, { owner_id: 0, balance: -id })
    if (id === 20) past = systemTime ?? ''
  }
  await sql`analyze accounts`.execute(db)
  await sql`analyze owners`.execute(db)
}, 180_000)

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any select over the test tables
async function plan(query: SelectQueryBuilder<any, any, any>): Promise<string> {
  const rows = await query.explain()
  return rows.map((row) => String(row['QUERY PLAN'])).join('\n')
}

function expectIndexed(text: string, table: string): void {
  expect(text, text).not.toMatch(new RegExp(`Seq Scan on ${table}\\b`))
  expect(text, text).toMatch(new RegExp(`Index (Only )?Scan using ${table}_\\w+ on ${table}|Bitmap Index Scan on ${table}_\\w+`))
}

describe('EXPLAIN of as-of reads at 200k versions', () => {
  it('the data is what the plans are about: 200k versions, one per account at a past instant', async () => {
    const repo = bitemporal(database().db, accounts)
    const total = await database().db.selectFrom('accounts').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()
    expect(Number(total.n)).toBeGreaterThanOrEqual(KEYS * MONTHS)
    const atPast = await repo.query({ validAt: '2012-06-01', knownAt: past }).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()
    expect(Number(atPast.n)).toBe(KEYS)
    const corrected = await repo.query({ validAt: '2012-06-01', knownAt: past }).where('balance', '<', 0).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()
    expect(Number(corrected.n)).toBe(20)
  })

  it('one key at a past instant: the GiST index, all three columns as index conditions', async () => {
    const text = await plan(bitemporal(database().db, accounts).query({ validAt: '2012-06-01', knownAt: past }).where('id', '=', 7).selectAll())
    expectIndexed(text, 'accounts')
    expect(text).toMatch(/Index Cond: .*id = 7.*effective @>.*system @>/)
  })

  it('one key in current knowledge: an index scan', async () => {
    expectIndexed(await plan(bitemporal(database().db, accounts).query({ validAt: '2012-06-01' }).where('id', '=', 7).selectAll()), 'accounts')
  })

  it('a count at a past instant, no key: an index scan, not a scan of the table', async () => {
    const text = await plan(bitemporal(database().db, accounts).query({ validAt: '2012-06-01', knownAt: past }).select((eb) => eb.fn.countAll().as('n')))
    expectIndexed(text, 'accounts')
    expect(text).toMatch(/effective @>.*system @>/)
  })

  it('a count in current knowledge at today and at a past day, no key', async () => {
    expectIndexed(await plan(bitemporal(database().db, accounts).query().select((eb) => eb.fn.countAll().as('n'))), 'accounts')
    expectIndexed(await plan(bitemporal(database().db, accounts).query({ validAt: '2012-06-01' }).select((eb) => eb.fn.countAll().as('n'))), 'accounts')
  })

  it("one key's timeline at a past instant (validAt: 'any')", async () => {
    expectIndexed(await plan(bitemporal(database().db, accounts).query({ validAt: 'any', knownAt: past }).where('id', '=', 7).selectAll()), 'accounts')
  })

  it('the plugin on a join with a key filter: both temporal tables through their indexes', async () => {
    const db = database().db.withPlugin(asOfPlugin({ tables: [accounts, owners], validAt: '2012-06-01', knownAt: past }))
    const text = await plan(db.selectFrom('accounts as a').innerJoin('owners as o', 'o.id', 'a.owner_id').where('a.id', '=', 7).select(['a.balance', 'o.name']))
    expectIndexed(text, 'accounts')
    expectIndexed(text, 'owners')
  })

  it('asOf() written by hand gives the same plan as the plugin', async () => {
    const at = { validAt: '2012-06-01', knownAt: past }
    const byHand = await plan(database().db.selectFrom('accounts as a').where('a.id', '=', 7).where(asOf(accounts, 'a', at)).selectAll())
    const plugged = await plan(database().db.withPlugin(asOfPlugin({ tables: [accounts], ...at })).selectFrom('accounts as a').where('a.id', '=', 7).selectAll())
    expect(plugged).toBe(byHand)
  })
})
