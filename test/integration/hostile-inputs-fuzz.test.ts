/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access -- hostile calls are made the way plain JavaScript makes them */
import fc from 'fast-check'
import { sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { BitemporalError, type BitemporalErrorCode } from '../../src/errors/errors.js'
import { bitemporal, createTable, defineTable, install } from '../../src/index.js'
import { useTestDatabase } from '../support/database.js'
import type { Untyped } from '../support/hostile-cases.js'
import { diagnostic } from '../support/diagnostic.js'

// Issue 8, hostile input fuzzed: random keys, portions, values and options
// (strings, numbers, dates, objects, JSON with own __proto__ keys, SQL) for
// every repository method and defineTable. Each call either succeeds or
// fails with a BitemporalError of a stable code, never a TypeError or a raw
// pg error; a failed write leaves the table exactly as it was; and after all
// runs the invariants of docs/semantics.md §2 hold over the whole table.

const database = useTestDatabase()
const items = defineTable({
  name: 'items',
  key: { id: 'integer', region: 'text' },
  values: { name: 'text not null', qty: 'integer', code: 'varchar(5)', price: 'numeric', meta: 'jsonb', born: 'date' },
})
const RUNS = 300
/** What a bad or unlucky input may give: never DATABASE_ERROR, which would be a leak of something unforeseen. */
const STABLE: ReadonlySet<BitemporalErrorCode> = new Set(['INVALID_INPUT', 'NOT_FOUND', 'OVERLAP', 'CONFLICT'])

// ---------------------------------------------------------------------------
// Generators: mostly hostile, sometimes good, so that successes happen too.

const nasty = fc.constantFrom(
  '2023-02-30', '0000-01-01', '10000-01-01', '2023-1-1', 'infinity', '-infinity', 'NaN', '', ' ', '\0', 'a\0b',
  "'); drop table items; --", '__proto__', 'constructor', 'prototype', '1e999', '2023-01-01T00:00:00', 'x'.repeat(70),
)
const day = fc.oneof(
  fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2026-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  fc.date(),
  nasty,
  fc.double(),
  fc.integer(),
)
const scalar = fc.oneof(nasty, fc.string(), fc.string({ unit: 'grapheme', maxLength: 8 }), fc.integer(), fc.double(), fc.boolean(), fc.bigInt(), fc.date(), fc.constant(null), fc.constant(undefined))
const anything = fc.oneof(scalar, fc.anything({ withBigInt: true, withDate: true, withNullPrototype: true, withObjectString: true, withMap: true, withTypedArray: true, maxDepth: 2 }))
/** An object from JSON text, so that `__proto__` is an own key, as in a request body. */
const jsonObject = (names: readonly string[]): fc.Arbitrary<unknown> =>
  fc.array(fc.tuple(fc.constantFrom(...names, '__proto__', 'constructor', 'prototype'), fc.jsonValue({ maxDepth: 1 })), { maxLength: 4 })
    .map((entries) => JSON.parse(`{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', ')}}`) as unknown)
const record = (names: readonly string[], value: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc.oneof(fc.dictionary(fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 6 })), value, { maxKeys: 4 }), jsonObject(names), anything)

const goodKey = fc.record({ id: fc.integer({ min: 1, max: 3 }), region: fc.constantFrom('eu', 'us') })
const key = fc.oneof({ weight: 2, arbitrary: goodKey }, { weight: 1, arbitrary: record(['id', 'region'], scalar) })
const portion = fc.oneof(
  fc.record({ from: day, to: fc.option(day, { nil: undefined }) }, { requiredKeys: ['from'] }),
  record(['from', 'to'], day),
)
const values = fc.oneof(
  fc.record({ name: fc.oneof(fc.string({ maxLength: 10 }), scalar), qty: scalar, code: scalar, price: scalar, meta: anything, born: day }, { requiredKeys: [] }),
  record(['name', 'qty', 'code', 'price', 'meta', 'born'], anything),
)
const options = fc.oneof(fc.constant(undefined), fc.constant({}), record(['expect', 'actor', 'reason', 'validAt', 'knownAt', 'from', 'to', 'coalesce', 'batchSize', 'since', 'until', 'key'], anything))

const call = fc.oneof(
  fc.tuple(fc.constantFrom('insert', 'set', 'update', 'delete', 'correct'), key, portion, values, options),
  fc.tuple(fc.constantFrom('asOf', 'timeline', 'history', 'lastChange', 'changes', 'streamHistory', 'load', 'defineTable'), key, portion, values, options),
)

/** Runs one random call the way plain JavaScript would make it. */
async function run(repository: Untyped, [method, k, p, v, o]: readonly [string, unknown, unknown, unknown, unknown]): Promise<unknown> {
  switch (method) {
    case 'delete':
      return repository.delete(k, p, o)
    case 'correct':
      return repository.correct(k, { at: (p as { from?: unknown } | null)?.from }, v, o)
    case 'asOf':
    case 'timeline':
      return repository[method](k, o)
    case 'history':
    case 'lastChange':
      return repository[method](k)
    case 'changes':
      return repository.changes(o)
    case 'streamHistory': {
      const versions: unknown[] = []
      for await (const version of repository.streamHistory(k, o)) versions.push(version)
      return versions
    }
    case 'load':
      return repository.load([{ key: k, effective: p, values: v }], o)
    case 'defineTable':
      return defineTable({ name: typeof v === 'string' ? v : 'fuzzed', key: k, values: v, ...(o as object) } as never)
    default:
      return repository[method](k, p, v, o)
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.constructor.name}: ${error.message}` : typeof error
}

async function snapshot(): Promise<string[]> {
  const rows = await sql<{ row: string }>`select t::text as row from items t order by 1`.execute(database().db)
  return rows.rows.map((r) => r.row)
}

beforeAll(async () => {
  await install(database().db)
  await createTable(database().db, items)
  await bitemporal(database().db, items).set({ id: 1, region: 'eu' }, { from: '2023-01-01' }, { name: 'widget' })
})

describe('fuzzed arguments', () => {
  it(`${String(RUNS)} random calls: success or a BitemporalError with a stable code, and nothing written on error`, async () => {
    const repository: Untyped = bitemporal(database().db, items)
    const outcomes = new Map<string, number>()
    await fc.assert(
      fc.asyncProperty(call, async (args) => {
        const before = await snapshot()
        let error: unknown
        try {
          await run(repository, args)
        } catch (caught) {
          error = caught
        }
        const outcome = error === undefined ? 'success' : error instanceof BitemporalError ? error.code : `raw ${describeError(error)}`
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
        if (error === undefined) return
        expect(error, `a raw error escaped: ${describeError(error)}`).toBeInstanceOf(BitemporalError)
        expect(STABLE.has((error as BitemporalError).code), (error as BitemporalError).message).toBe(true)
        expect((error as BitemporalError).message).toMatch(/^bitemporal: /)
        expect(await snapshot()).toEqual(before)
      }),
      { numRuns: RUNS, seed: Number(process.env['FUZZ_SEED'] ?? 20260806) },
    )
    diagnostic(`hostile fuzz: ${String(RUNS)} runs ${JSON.stringify(Object.fromEntries(outcomes))}`)
    expect(outcomes.get('success') ?? 0, 'some fuzzed calls must succeed, or the generators test nothing').toBeGreaterThan(0)
    expect(outcomes.get('INVALID_INPUT') ?? 0).toBeGreaterThan(RUNS / 4)
  })

  it('after the fuzz, the invariants of docs/semantics.md §2 hold over the whole table', async () => {
    const checks = await sql<{ overlaps: number; empty: number; open_closed: number }>`
      select
        (select count(*)::int from items a join items b
           on a.ctid < b.ctid and a.id = b.id and a.region = b.region and a.effective && b.effective and a.system && b.system) as overlaps,
        (select count(*)::int from items where isempty(effective) or isempty(system)) as empty,
        (select count(*)::int from items where not upper_inf(system) and upper(system) < lower(system)) as open_closed`.execute(database().db)
    expect(checks.rows[0]).toEqual({ overlaps: 0, empty: 0, open_closed: 0 })
  })
})
