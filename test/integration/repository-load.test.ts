import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bitemporal, createTable, defineTable, install, type LoadVersion } from '../../src/index.js'
import { type CountingPool, countingPool, statementKind } from '../support/counting-pool.js'
import { useTestDatabase } from '../support/database.js'
import { rejectsWithCode } from '../support/rejects-with-code.js'

// Bulk loading (issue 6): many versions of many keys, a batch per round
// trip, one transaction, the same checks and errors as insert.

const database = useTestDatabase()

const prices = defineTable({
  name: 'prices',
  key: { sku: 'text', store: 'integer' },
  values: { price: 'numeric not null', currency: "text not null default 'EUR'", tags: 'text[]' },
})
type Prices = typeof prices
const audited = defineTable({ name: 'audited_prices', key: { sku: 'text' }, values: { price: 'numeric not null' }, audit: true })
const moments = defineTable({ name: 'moments', key: { id: 'integer' }, values: { label: 'text' }, effective: 'timestamp' })

let counting: CountingPool

beforeAll(async () => {
  await install(database().db)
  for (const definition of [prices, audited, moments]) await createTable(database().db, definition)
  counting = countingPool({ connectionString: database().url, max: 2 })
})

afterAll(async () => {
  await counting.end()
})

/** Month `m` (0-based) of 2024 as a day. */
const month = (m: number): string => new Date(Date.UTC(2024, m, 1)).toISOString().slice(0, 10)

/** `perKey` consecutive monthly versions for each of `keys` SKUs in store `store`; the last one open-ended. */
function versions(keys: number, perKey: number, store: number): LoadVersion<Prices>[] {
  return Array.from({ length: keys * perKey }, (_, n) => {
    const k = Math.floor(n / perKey)
    const v = n % perKey
    return {
      key: { sku: `sku-${String(k)}`, store },
      effective: { from: month(v), to: v === perKey - 1 ? null : month(v + 1) },
      values: { price: `${String(k)}.${String(v).padStart(2, '0')}` },
    }
  })
}

async function countRows(store: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from prices where store = ${store}`.execute(database().db)
  return rows[0]?.n ?? -1
}

describe('load', () => {
  it('loads 2,500 versions in three batches of one statement each, in one transaction at one system time', async () => {
    const repository = bitemporal(counting.db, prices)
    const progress: number[] = []
    const { sent, result } = await counting.count(() => repository.load(versions(500, 5, 1), { batchSize: 1000, onProgress: (p) => progress.push(p.inserted) }))
    expect(sent.map(statementKind)).toEqual(['begin', 'with', 'with', 'with', 'commit'])
    expect(result.inserted).toBe(2500)
    expect(progress).toEqual([1000, 2000, 2500])
    const times = await sql<{ t: string; n: number }>`
      select bitemporal.format_system_time(lower(system)) as t, count(*)::int as n from prices where store = 1 group by 1`.execute(database().db)
    expect(times.rows).toEqual([{ t: result.systemTime, n: 2500 }])
    const timeline = await repository.timeline({ sku: 'sku-42', store: 1 })
    expect(timeline.map((v) => [v.effective.from, v.effective.to, v.values])).toEqual([
      [month(0), month(1), { price: '42.00', currency: 'EUR', tags: null }],
      [month(1), month(2), { price: '42.01', currency: 'EUR', tags: null }],
      [month(2), month(3), { price: '42.02', currency: 'EUR', tags: null }],
      [month(3), month(4), { price: '42.03', currency: 'EUR', tags: null }],
      [month(4), null, { price: '42.04', currency: 'EUR', tags: null }],
    ])
  })

  it('reads an async iterable batch by batch, and keeps the values given (array columns included)', async () => {
    async function* generate(): AsyncGenerator<LoadVersion<Prices>> {
      for (let k = 0; k < 30; k++) {
        // As a real export would: the next row arrives later.
        await new Promise((resolve) => setImmediate(resolve))
        yield { key: { sku: `gen-${String(k)}`, store: 2 }, effective: { from: '2024-01-01' }, values: { price: '1.5', currency: 'USD', tags: ['a', 'b c'] } }
      }
    }
    const result = await bitemporal(database().db, prices).load(generate(), { batchSize: 7 })
    expect(result.inserted).toBe(30)
    expect(await bitemporal(database().db, prices).asOf({ sku: 'gen-29', store: 2 }, { validAt: '2025-01-01' })).toMatchObject({
      values: { price: '1.5', currency: 'USD', tags: ['a', 'b c'] },
    })
  })

  it('an overlap between two loaded versions, in a later batch, is an OverlapError, and nothing is written', async () => {
    const input = [...versions(20, 2, 3), { key: { sku: 'sku-7', store: 3 }, effective: { from: '2024-01-15', to: '2024-01-20' }, values: { price: '9' } }]
    const error = await rejectsWithCode(() => bitemporal(database().db, prices).load(input, { batchSize: 10 }), 'OVERLAP')
    expect(error.message).toContain('sku-7')
    expect(await countRows(3)).toBe(0)
  })

  it('an overlap with a current version is an OverlapError; adjacent versions load', async () => {
    const repository = bitemporal(database().db, prices)
    await repository.insert({ sku: 'x', store: 4 }, { from: '2024-03-01', to: '2024-04-01' }, { price: '3' })
    await rejectsWithCode(() => repository.load([{ key: { sku: 'x', store: 4 }, effective: { from: '2024-03-31' }, values: { price: '4' } }]), 'OVERLAP')
    await repository.load([
      { key: { sku: 'x', store: 4 }, effective: { from: '2024-01-01', to: '2024-03-01' }, values: { price: '2' } },
      { key: { sku: 'x', store: 4 }, effective: { from: '2024-04-01' }, values: { price: '4' } },
    ])
    expect((await repository.timeline({ sku: 'x', store: 4 })).map((v) => v.values.price)).toEqual(['2', '3', '4'])
  })

  it('a bad version is an InvalidInputError naming it, before its batch is sent; earlier batches are rolled back', async () => {
    const input: unknown[] = versions(10, 3, 5)
    input.push({ key: { sku: 'late', store: 5 }, effective: { from: '2024-02-30' }, values: { price: '1' } })
    const { sent } = await counting.count(() =>
      rejectsWithCode(() => bitemporal(counting.db, prices).load(input as LoadVersion<Prices>[], { batchSize: 10 }), 'INVALID_INPUT').then((error) => {
        expect(error.message).toContain('version 30')
      }),
    )
    expect(sent.map(statementKind)).toEqual(['begin', 'with', 'with', 'with', 'rollback'])
    expect(await countRows(5)).toBe(0)
  })

  it.each([
    ['an unknown field', { key: { sku: 'a', store: 6 }, effective: { from: '2024-01-01' }, values: { price: '1' }, system: '[2020-01-01,)' }],
    ['a missing not-null value', { key: { sku: 'a', store: 6 }, effective: { from: '2024-01-01' }, values: {} }],
    ['a reversed range', { key: { sku: 'a', store: 6 }, effective: { from: '2024-02-01', to: '2024-01-01' }, values: { price: '1' } }],
    ['a wrong key', { key: { sku: 'a' }, effective: { from: '2024-01-01' }, values: { price: '1' } }],
    ['an unknown column', { key: { sku: 'a', store: 6 }, effective: { from: '2024-01-01' }, values: { price: '1', cost: '2' } }],
    ['not an object', 'sku-a'],
    ['a misspelt end of effective', { key: { sku: 'a', store: 6 }, effective: { from: '2024-01-01', unti: '2024-02-01' }, values: { price: '1' } }],
    ['a misspelt start of effective', { key: { sku: 'a', store: 6 }, effective: { form: '2024-01-01' }, values: { price: '1' } }],
  ])('%s is an InvalidInputError and nothing is sent', async (_, version) => {
    const { sent } = await counting.count(() => rejectsWithCode(() => bitemporal(counting.db, prices).load([version] as LoadVersion<Prices>[]), 'INVALID_INPUT'))
    expect(sent.map(statementKind)).toEqual(['begin', 'rollback'])
    expect(await countRows(6)).toBe(0)
  })

  it('names a misspelt key of a version or of its effective portion (docs/semantics.md §3)', async () => {
    const repository = bitemporal(database().db, prices)
    const good = { key: { sku: 'named', store: 6 }, effective: { from: '2024-01-01' }, values: { price: '1' } }
    const misspelt = { ...good, effective: { from: '2024-01-01', unti: '2024-02-01' } }
    const error = await rejectsWithCode(() => repository.load([good, misspelt]), 'INVALID_INPUT')
    expect(error.message).toBe('bitemporal: load: version 1: unknown key "unti" in effective; effective is { from, to? }')
    const extra = await rejectsWithCode(() => repository.load([{ ...good, efective: { from: '2024-01-01' } }] as never), 'INVALID_INPUT')
    expect(extra.message).toContain('unknown key "efective"')
    expect(await countRows(6)).toBe(0)
  })

  it('rejects bad options before anything is sent', async () => {
    const repository = bitemporal(counting.db, prices)
    for (const options of [{ batchSize: 0 }, { batchSize: 1.5 }, { batchSize: 1_000_000 }, { onProgress: 'yes' }, { actor: 'me' }]) {
      const { sent } = await counting.count(() => rejectsWithCode(() => repository.load(versions(1, 1, 7), options as never), 'INVALID_INPUT'))
      expect(sent).toEqual([])
    }
    const { sent } = await counting.count(() => rejectsWithCode(() => repository.load(42 as never), 'INVALID_INPUT'))
    expect(sent).toEqual([])
  })

  it("what the caller's source throws comes through untouched, and nothing is written", async () => {
    class SourceFailed extends Error {}
    function* failing(): Generator<LoadVersion<Prices>> {
      yield* versions(5, 1, 8)
      throw new SourceFailed('upstream export broke')
    }
    await expect(bitemporal(database().db, prices).load(failing(), { batchSize: 2 })).rejects.toBeInstanceOf(SourceFailed)
    expect(await countRows(8)).toBe(0)
  })

  it("in a caller's transaction it uses that transaction: one system time with the other writes", async () => {
    const result = await database()
      .db.transaction()
      .execute(async (trx) => {
        const repository = bitemporal(trx, prices)
        const single = await repository.insert({ sku: 'single', store: 9 }, { from: '2024-01-01' }, { price: '1' })
        const loaded = await repository.load(versions(3, 2, 9))
        return { single, loaded }
      })
    expect(result.loaded.systemTime).toBe(result.single.systemTime)
    expect(await countRows(9)).toBe(7)
  })

  it("in a caller's transaction that goes on after a failed load, nothing of the load is written (docs/semantics.md §3)", async () => {
    // A bad third version, and a source that breaks after two versions, each
    // after two single-version batches were sent: the caller catches, writes
    // something else and commits.
    class SourceFailed extends Error {}
    function* failing(): Generator<LoadVersion<Prices>> {
      yield* versions(2, 1, 13)
      throw new SourceFailed('upstream export broke')
    }
    const badThird: unknown[] = [...versions(2, 1, 10), { key: { sku: 'third', store: 10 }, effective: { from: '2024-01-01', unti: '2024-02-01' }, values: { price: '1' } }]
    const failures: unknown[] = []
    const { sent } = await counting.count(() =>
      counting.db.transaction().execute(async (trx) => {
        const repository = bitemporal(trx, prices)
        for (const source of [badThird as LoadVersion<Prices>[], failing()]) {
          await repository.load(source, { batchSize: 1 }).catch((error: unknown) => failures.push(error))
        }
        await repository.insert({ sku: 'kept', store: 10 }, { from: '2024-01-01' }, { price: '1' })
      }),
    )
    expect(failures.map((error) => (error instanceof SourceFailed ? 'source' : (error as { code?: string }).code))).toEqual(['INVALID_INPUT', 'source'])
    const { rows } = await sql<{ sku: string; store: number }>`select sku, store from prices where store in (10, 13) order by store, sku`.execute(database().db)
    expect(rows).toEqual([{ sku: 'kept', store: 10 }])
    // Each load costs a savepoint and its rollback around its batches.
    expect(sent.map(statementKind)).toEqual(['begin', 'savepoint', 'with', 'with', 'rollback', 'savepoint', 'with', 'with', 'rollback', 'with', 'commit'])
  })

  it("in a caller's transaction an overlap in a later batch undoes the load alone: the transaction goes on", async () => {
    const overlapping = [...versions(2, 1, 12), ...versions(1, 1, 12)]
    const result = await database()
      .db.transaction()
      .execute(async (trx) => {
        const repository = bitemporal(trx, prices)
        await rejectsWithCode(() => repository.load(overlapping, { batchSize: 1 }), 'OVERLAP')
        return repository.insert({ sku: 'kept', store: 12 }, { from: '2024-01-01' }, { price: '1' })
      })
    expect(result.systemTime).not.toBeNull()
    const { rows } = await sql<{ sku: string }>`select sku from prices where store = 12`.execute(database().db)
    expect(rows).toEqual([{ sku: 'kept' }])
  })

  it("in a caller's transaction a load that succeeds costs a savepoint and its release, and one load of an empty source costs nothing", async () => {
    const { sent } = await counting.count(() =>
      counting.db.transaction().execute(async (trx) => {
        await bitemporal(trx, prices).load([])
        return bitemporal(trx, prices).load(versions(2, 2, 11), { batchSize: 3 })
      }),
    )
    expect(sent.map(statementKind)).toEqual(['begin', 'savepoint', 'with', 'with', 'release', 'commit'])
    expect(await countRows(11)).toBe(4)
  })

  it('an empty source writes nothing and returns a null system time', async () => {
    expect(await bitemporal(database().db, prices).load([])).toEqual({ systemTime: null, inserted: 0 })
  })

  it('records actor and reason on every row of an audited table, and requires the actor', async () => {
    const repository = bitemporal(database().db, audited)
    const input = [
      { key: { sku: 'a' }, effective: { from: '2024-01-01' }, values: { price: '1' } },
      { key: { sku: 'b' }, effective: { from: '2024-01-01' }, values: { price: '2' } },
    ]
    await rejectsWithCode(() => repository.load(input), 'INVALID_INPUT')
    await repository.load(input, { actor: 'importer', reason: 'migration from the old system' })
    const { rows } = await sql<{ recorded_by: string; recorded_reason: string }>`
      select recorded_by, recorded_reason from audited_prices order by sku`.execute(database().db)
    expect(rows).toEqual([
      { recorded_by: 'importer', recorded_reason: 'migration from the old system' },
      { recorded_by: 'importer', recorded_reason: 'migration from the old system' },
    ])
  })

  it('loads timestamp-valid versions', async () => {
    const repository = bitemporal(database().db, moments)
    await repository.load([
      { key: { id: 1 }, effective: { from: '2024-01-01T10:00:00.000001Z', to: '2024-01-01T10:00:00.5Z' }, values: { label: 'first' } },
      { key: { id: 1 }, effective: { from: '2024-01-01T10:00:00.5Z' }, values: { label: 'second' } },
    ])
    expect(await repository.asOf({ id: 1 }, { validAt: '2024-01-01T10:00:00.499999Z' })).toMatchObject({ values: { label: 'first' } })
    expect((await repository.timeline({ id: 1 })).map((v) => [v.effective.from, v.effective.to])).toEqual([
      ['2024-01-01T10:00:00.000001Z', '2024-01-01T10:00:00.500000Z'],
      ['2024-01-01T10:00:00.500000Z', null],
    ])
  })
})
