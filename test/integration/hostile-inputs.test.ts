/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/require-await -- hostile calls are made the way plain JavaScript makes them */
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BitemporalError } from '../../src/errors/errors.js'
import { bitemporal, createTable, defineTable, install } from '../../src/index.js'
import { countingPool, type CountingPool } from '../support/counting-pool.js'
import { useTestDatabase } from '../support/database.js'
import { HOSTILE_CASES, type HostileContext, type Untyped } from '../support/hostile-cases.js'
import { rejectsWithCode } from '../support/rejects-with-code.js'
import { diagnostic } from '../support/diagnostic.js'

// Issue 8, hostile input: the catalogue of test/support/hostile-cases.ts,
// one test per entry. Each must fail with its typed error and a message that
// says what is wrong, send nothing (or, where only the column's SQL type can
// tell, one statement that fails), and leave every table as it was.

const database = useTestDatabase()

const items = defineTable({
  name: 'items',
  key: { id: 'integer', region: 'text' },
  values: { name: 'text not null', qty: 'integer', code: 'varchar(5)', small: 'smallint', price: 'numeric', meta: 'jsonb', born: 'date' },
})
const ledger = defineTable({ name: 'ledger', key: { id: 'integer' }, values: { amount: 'numeric not null' }, audit: true })

let counting: CountingPool
let context: HostileContext

/** Every row of both tables as PostgreSQL's text image, and the tables that exist: any change shows. */
async function snapshot(): Promise<string[]> {
  const rows = await sql<{ row: string }>`
    select 'items ' || t::text as row from items t
    union all select 'ledger ' || l::text from ledger l
    union all select 'table ' || tablename from pg_tables where schemaname = 'public'
    order by 1`.execute(database().db)
  return rows.rows.map((r) => r.row)
}

beforeAll(async () => {
  const db = database().db
  await install(db)
  await createTable(db, items)
  await createTable(db, ledger)
  await bitemporal(db, items).set({ id: 1, region: 'eu' }, { from: '2023-01-01' }, { name: 'widget', qty: 1, meta: { a: 1 } })
  await bitemporal(db, ledger).set({ id: 1 }, { from: '2023-01-01' }, { amount: '10' }, { actor: 'setup' })
  counting = countingPool({ connectionString: database().url, max: 2 })
  const untyped = (repository: unknown): Untyped => repository
  context = {
    db: counting.db,
    items: untyped(bitemporal(counting.db, items)),
    ledger: untyped(bitemporal(counting.db, ledger)),
    definitions: { items, ledger },
  }
})

afterAll(async () => {
  await counting.end()
})

describe(`the hostile input catalogue (${String(HOSTILE_CASES.length)} inputs)`, () => {
  it('has at least 60 inputs, over every public function area', () => {
    expect(HOSTILE_CASES.length).toBeGreaterThanOrEqual(60)
    expect(new Set(HOSTILE_CASES.map((c) => c.area))).toEqual(
      new Set(['dates', 'numbers', 'strings', 'key shapes', 'values', 'options', 'defineTable', 'other functions']),
    )
    expect(new Set(HOSTILE_CASES.map((c) => `${c.area}: ${c.description}`)).size).toBe(HOSTILE_CASES.length)
    // Recorded for docs/reliability.md (BITEMPORAL_TEST_DIAGNOSTICS=1 prints it).
    diagnostic(`hostile inputs: ${String(HOSTILE_CASES.length)} cases, ${String(HOSTILE_CASES.filter((c) => c.reachesDatabase).length)} of them need the column's SQL type`)
  })

  it.each(HOSTILE_CASES.map((c) => [`${c.area}: ${c.description}`, c] as const))('%s', async (_, hostile) => {
    const before = await snapshot()
    const { sent, result: error } = await counting.count(() => rejectsWithCode(async () => hostile.call(context), hostile.code))
    expect(error).toBeInstanceOf(BitemporalError)
    // Helpful: says it is the library's, and more than a bare code; never a dump of a megabyte.
    expect(error.message).toMatch(/^bitemporal: .{20,}/s)
    expect(error.message.length).toBeLessThan(1000)
    // load reads its source inside its transaction (a source may be lazy and
    // endless), so a bad version ends that transaction: begin, then rollback.
    const statements = sent.filter((text) => !/^(begin|rollback)$/i.test(text.trim()))
    if (hostile.reachesDatabase === true) {
      // One statement, refused by the column's type: SQLSTATE class 22 (data exception).
      expect(error.sqlState).toMatch(/^22/)
      expect(statements).toHaveLength(1)
    } else {
      expect(statements, 'statements sent before the error').toEqual([])
    }
    expect(await snapshot()).toEqual(before)
  })
})

describe('SQL in values is data', () => {
  it('stores SQL in text values and keys verbatim and runs none of it', async () => {
    const repository = bitemporal(database().db, items)
    const attacks = ["x'); drop table items; --", 'x"; delete from ledger; --', '$1; select pg_sleep(10)', "'' or 1=1 --"]
    for (const [index, text] of attacks.entries()) {
      const key = { id: 100 + index, region: text }
      await repository.set(key, { from: '2023-01-01' }, { name: text, meta: { [text]: text } })
      expect((await repository.asOf(key, { validAt: '2023-01-01' }))?.values).toMatchObject({ name: text, meta: { [text]: text } })
    }
    const tables = await sql<{ n: number }>`select count(*)::int as n from pg_tables where tablename in ('items', 'ledger')`.execute(database().db)
    expect(tables.rows[0]?.n).toBe(2)
    expect(await bitemporal(database().db, ledger).history({ id: 1 })).toHaveLength(1)
  })

  it('the catalogue harness does see a good call reach the database', async () => {
    const { sent } = await counting.count(() => context.items.asOf({ id: 1, region: 'eu' }, { validAt: '2023-01-01' }))
    expect(sent).toHaveLength(1)
  })
})
