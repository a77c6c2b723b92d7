import { sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { bitemporal, createTable, defineTable, OverlapError } from '../../src/index.js'
import { createPgliteDatabase, type PgliteDatabase } from '../../src/testing/index.js'

// Issue 15, item 3: bitemporal/testing's in-process PGlite database
// (docs/testing.md): btree_gist loaded, the library installed unless asked
// not to, a database of its own per call, closed by close().

const taxRates = defineTable({ name: 'tax_rates', key: { state_id: 'integer', tax_type: 'text' }, values: { rate: 'numeric not null' } })
const key = { state_id: 1, tax_type: 'income_tax' }
const opened: PgliteDatabase[] = []
const open = async (options?: { install: boolean }): Promise<PgliteDatabase> => {
  const database = await createPgliteDatabase(options)
  opened.push(database)
  return database
}

afterAll(async () => {
  await Promise.all(opened.map((database) => database.close()))
})

describe('createPgliteDatabase', () => {
  it('gives a database with the library installed, on which a table takes writes and the exclusion constraint holds', async () => {
    const { db } = await open()
    const installed = await sql<{ n: number }>`select count(*)::int as n from pg_namespace where nspname = 'bitemporal'`.execute(db)
    expect(installed.rows[0]?.n).toBe(1)
    await createTable(db, taxRates)
    const rates = bitemporal(db, taxRates)
    await rates.set(key, { from: '2023-01-01' }, { rate: '0.15' })
    await rates.set(key, { from: '2023-02-01' }, { rate: '0.25' })
    expect((await rates.timeline(key)).map((version) => [version.values.rate, version.effective.from, version.effective.to])).toEqual([
      ['0.15', '2023-01-01', '2023-02-01'],
      ['0.25', '2023-02-01', null],
    ])
    await expect(rates.insert(key, { from: '2023-01-15' }, { rate: '1' })).rejects.toBeInstanceOf(OverlapError)
  })

  it('with install: false, btree_gist is there and the library is not', async () => {
    const { db } = await open({ install: false })
    const { rows } = await sql<{ library: number; gist: number }>`
      select (select count(*)::int from pg_namespace where nspname = 'bitemporal') as library,
             (select count(*)::int from pg_available_extensions where name = 'btree_gist') as gist`.execute(db)
    expect(rows[0]).toEqual({ library: 0, gist: 1 })
  })

  it('gives each call a database of its own, and close() may be called twice', async () => {
    const first = await open()
    const second = await open()
    await createTable(first.db, taxRates)
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_tables where tablename = 'tax_rates'`.execute(second.db)
    expect(rows[0]?.n).toBe(0)
    await first.close()
    await first.close()
    await expect(sql`select 1`.execute(first.db)).rejects.toThrow()
  })
})
