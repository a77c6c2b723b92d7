import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { BitemporalErrorCode } from '../../src/errors/errors.js'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import type { Repository } from '../../src/repository/repository.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'
import { rejectsWithCode } from '../support/rejects-with-code.js'
import type { UntypedRepository } from '../support/untyped-repository.js'

const database = useTestDatabase()

const items = defineTable({
  name: 'items',
  key: { id: 'integer', region: 'text' },
  values: {
    name: 'text not null',
    qty: 'integer not null default 0',
    note: 'text',
    tags: 'text[]',
    price: 'numeric',
    arrived: 'timestamp',
  },
})

const kinds = defineTable({
  name: 'kinds',
  key: { id: 'bigint' },
  values: {
    big: 'bigint',
    amount: 'numeric',
    meta: 'jsonb',
    list: 'jsonb',
    photo: 'bytea',
    labels: 'text[]',
    counts: 'integer[]',
    active: 'boolean',
    seen_at: 'timestamptz',
    opened: 'date',
    local: 'timestamp',
  },
})

const docs = defineTable({ name: 'docs', key: { id: 'integer' }, values: { parts: 'jsonb[]' } })

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a Kysely over tables the test creates
type Db = Kysely<any>


const KEY = { id: 1, region: 'eu' }
const VALUES = { name: 'widget' }

/** Every query the counted Kysely sends, in order (Kysely logs both successes and failures). */
const sent: string[] = []
let counted: Db
let repo: Repository<typeof items>

/** Every stored row of `table` as PostgreSQL's text image, sorted: a change of any column shows. */
async function snapshot(table: string): Promise<string[]> {
  const result = await sql<{ row: string }>`select t::text as row from ${sql.table(table)} t order by 1`.execute(database().db)
  return result.rows.map((r) => r.row)
}

beforeAll(async () => {
  const db = database().db
  await install(db)
  await createTable(db, items)
  await createTable(db, kinds)
  await createTable(db, docs)
  counted = new Kysely({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database().url, max: 3 }) }),
    log: (event) => {
      sent.push(event.query.sql)
    },
  })
  repo = bitemporal(counted, items)
  await repo.set(KEY, { from: '2023-01-01' }, { name: 'widget', tags: ['a'] })
  await repo.set(KEY, { from: '2023-03-01', to: '2023-04-01' }, { name: 'widget', qty: 5 })
})

afterAll(async () => {
  await counted.destroy()
})

beforeEach(() => {
  sent.length = 0
})

/**
 * Expects `run` to fail with `code` before any query is sent, and the table
 * to be exactly as it was.
 */
async function rejectedBeforeSending(run: () => Promise<unknown>, code: BitemporalErrorCode = 'INVALID_INPUT'): Promise<string> {
  const before = await snapshot('items')
  sent.length = 0
  const error = await rejectsWithCode(run, code)
  expect(sent, 'queries sent before the error').toEqual([])
  expect(await snapshot('items')).toEqual(before)
  return error.message
}

/** `repo` (or another repository) without its argument types, for inputs a TypeScript caller could not write. */
const untyped = (repository: unknown = repo): UntypedRepository => repository as UntypedRepository

type Call = readonly [string, (key: unknown) => Promise<unknown>]

/** Every method that takes a key, called with `key` and otherwise good arguments. */
const keyed: readonly Call[] = [
  ['insert', (key) => untyped().insert(key, { from: '2030-01-01' }, VALUES)],
  ['set', (key) => untyped().set(key, { from: '2023-01-01', to: '2023-02-01' }, VALUES)],
  ['set (timeline change)', (key) => untyped().set(key, { from: '2023-01-01' }, VALUES)],
  ['update', (key) => untyped().update(key, { from: '2023-01-01' }, { note: 'x' })],
  ['correct', (key) => untyped().correct(key, { at: '2023-01-15' }, { note: 'x' })],
  ['delete', (key) => untyped().delete(key, { from: '2023-01-01' })],
  ['asOf', (key) => untyped().asOf(key, { validAt: '2023-01-15' })],
  ['timeline', (key) => untyped().timeline(key)],
  ['history', (key) => untyped().history(key)],
  ['lastChange', (key) => untyped().lastChange(key)],
]

describe('keys of the wrong shape are rejected before anything is sent', () => {
  const cases: readonly (readonly [string, () => unknown, string?])[] = [
    ['a missing key column', () => ({ id: 1 }), '"region"'],
    ['an extra column', () => ({ id: 1, region: 'eu', nope: 1 }), '"nope"'],
    ['__proto__ from JSON.parse', () => JSON.parse('{"id": 1, "region": "eu", "__proto__": {"nope": 1}}') as unknown, '__proto__'],
    ['only __proto__ from JSON.parse', () => JSON.parse('{"__proto__": {"id": 1, "region": "eu"}}') as unknown],
    ['a key inherited from a prototype', () => Object.create({ id: 1, region: 'eu' }) as unknown],
    ['a null key value', () => ({ id: null, region: 'eu' }), '"id"'],
    ['an undefined key value', () => ({ id: 1, region: undefined }), '"region"'],
    ['a key value of the wrong type', () => ({ id: '1', region: 'eu' }), '"id"'],
    ['a text key with a NUL', () => ({ id: 1, region: 'e\0u' }), '"region"'],
    ['an array', () => [1, 'eu']],
    ['null', () => null],
    ['undefined', () => undefined],
    ['a string', () => '1'],
    ['a Map', () => new Map<string, unknown>([['id', 1], ['region', 'eu']])],
  ]

  for (const [name, key, mentions] of cases) {
    it.each(keyed)(`${name}: %s`, async (_, call) => {
      const message = await rejectedBeforeSending(() => call(key()))
      if (mentions !== undefined) expect(message).toContain(mentions)
    })
  }

  it('a good key with the same calls does reach the database (the harness counts queries)', async () => {
    await repo.asOf(KEY, { validAt: '2023-01-15' })
    expect(sent).toHaveLength(1)
  })
})

describe('values of the wrong shape are rejected before anything is sent', () => {
  it.each([
    ['insert', (v: unknown) => untyped().insert(KEY, { from: '2030-01-01' }, v)],
    ['set', (v: unknown) => untyped().set(KEY, { from: '2023-01-01', to: '2023-02-01' }, v)],
    ['set (timeline change)', (v: unknown) => untyped().set(KEY, { from: '2023-01-01' }, v)],
    ['update', (v: unknown) => untyped().update(KEY, { from: '2023-01-01' }, v)],
    ['correct', (v: unknown) => untyped().correct(KEY, { at: '2023-01-15' }, v)],
  ] as const)('%s', async (_, write) => {
    expect(await rejectedBeforeSending(() => write({ name: 'x', nope: 1 }))).toContain('"nope"')
    expect(await rejectedBeforeSending(() => write({ name: 'x', system: '[2020-01-01,)' }))).toContain('"system"')
    expect(await rejectedBeforeSending(() => write({ name: 'x', effective: '[2020-01-01,)' }))).toContain('"effective"')
    expect(await rejectedBeforeSending(() => write({ name: 'x', id: 2 }))).toContain('"id"')
    expect(await rejectedBeforeSending(() => write(JSON.parse('{"name": "x", "__proto__": {"note": "y"}}')))).toContain('__proto__')
    expect(await rejectedBeforeSending(() => write({ name: null }))).toContain('"name"')
    expect(await rejectedBeforeSending(() => write({ name: 42 }))).toContain('"name"')
    expect(await rejectedBeforeSending(() => write({ name: 'x', qty: 'many' }))).toContain('"qty"')
    expect(await rejectedBeforeSending(() => write({ name: 'x', tags: 'a' }))).toContain('"tags"')
    expect(await rejectedBeforeSending(() => write({ name: 'x', price: 'cheap' }))).toContain('"price"')
    // A timestamp without time zone: 'infinity' would read back as null, a BC year as AD, and
    // '01/02/2023' depends on DateStyle; an offset would be dropped without a word.
    for (const arrived of ['infinity', '0044-03-15 12:00:00 BC', '01/02/2023 00:00', '2023-01-02T03:04:05+09:00']) {
      expect(await rejectedBeforeSending(() => write({ name: 'x', arrived }))).toContain('"arrived"')
    }
    await rejectedBeforeSending(() => write(null))
    await rejectedBeforeSending(() => write(['x']))
    await rejectedBeforeSending(() => write('name=x'))
    await rejectedBeforeSending(() => write(new Map([['name', 'x']])))
  })

  it('set and insert need every not-null column without a default', async () => {
    const message = await rejectedBeforeSending(() => untyped().set(KEY, { from: '2023-01-01', to: '2023-02-01' }, { qty: 1 }))
    expect(message).toContain('"name"')
    await rejectedBeforeSending(() => untyped().set(KEY, { from: '2023-01-01' }, {}))
    await rejectedBeforeSending(() => untyped().insert({ id: 2, region: 'eu' }, { from: '2023-01-01' }, { note: 'n' }))
    await rejectedBeforeSending(() => untyped().insert({ id: 2, region: 'eu' }, { from: '2023-01-01' }, { name: undefined }))
  })

  it('update and correct refuse null for a not-null column, but may leave it out', async () => {
    expect(await rejectedBeforeSending(() => untyped().update(KEY, { from: '2023-01-01' }, { name: null }))).toContain('"name"')
    expect(await rejectedBeforeSending(() => untyped().correct(KEY, { at: '2023-01-15' }, { name: null }))).toContain('"name"')
    const result = await repo.update(KEY, { from: '2023-06-01', to: '2023-07-01' }, { note: 'summer' })
    expect(result.inserted).toBeGreaterThan(0)
    expect((await repo.asOf(KEY, { validAt: '2023-06-15' }))?.values).toMatchObject({ name: 'widget', note: 'summer' })
  })

  it('an explicit null for a not-null column that has a default is refused too (the default is for a column left out)', async () => {
    // qty is 'integer not null default 0'. Today the null is sent and PostgreSQL answers 23502 (DATABASE_ERROR).
    expect(await rejectedBeforeSending(() => untyped().update(KEY, { from: '2023-01-01' }, { qty: null }))).toContain('"qty"')
    expect(await rejectedBeforeSending(() => untyped().correct(KEY, { at: '2023-01-15' }, { qty: null }))).toContain('"qty"')
    expect(await rejectedBeforeSending(() => untyped().set(KEY, { from: '2023-01-01', to: '2023-02-01' }, { name: 'x', qty: null }))).toContain(
      '"qty"',
    )
    expect(await rejectedBeforeSending(() => untyped().insert({ id: 2, region: 'eu' }, { from: '2023-01-01' }, { name: 'x', qty: null }))).toContain(
      '"qty"',
    )
  })
})

describe('portions and points of valid time are checked before anything is sent', () => {
  const portionWrites = [
    ['insert', (p: unknown) => untyped().insert({ id: 9, region: 'eu' }, p, VALUES)],
    ['set', (p: unknown) => untyped().set(KEY, p, VALUES)],
    ['update', (p: unknown) => untyped().update(KEY, p, { note: 'x' })],
    ['delete', (p: unknown) => untyped().delete(KEY, p)],
  ] as const

  it.each(portionWrites)('%s: reversed and empty portions', async (_, write) => {
    expect(await rejectedBeforeSending(() => write({ from: '2023-02-01', to: '2023-01-01' }))).toMatch(/reversed/)
    expect(await rejectedBeforeSending(() => write({ from: '2023-01-01', to: '2023-01-01' }))).toMatch(/empty/)
    await rejectedBeforeSending(() => write({ from: new Date('2023-01-01T23:00:00Z'), to: '2023-01-01' }))
  })

  it.each(portionWrites)('%s: days that do not exist and things that are not days', async (_, write) => {
    const notDays: unknown[] = [
      '2023-02-30',
      '2023-02-29',
      '2023-13-01',
      '2023-00-10',
      '0000-01-01',
      '2023-1-1',
      ' 2023-01-01',
      'infinity',
      '-infinity',
      'today',
      20230101,
      Date.UTC(2023, 0, 1),
      Number.NaN,
      new Date(Number.NaN),
      {},
      ['2023-01-01'],
    ]
    for (const day of notDays) {
      await rejectedBeforeSending(() => write({ from: day, to: '2024-01-01' }))
      await rejectedBeforeSending(() => write({ from: '2023-01-01', to: day }))
    }
    for (const day of [null, undefined]) await rejectedBeforeSending(() => write({ from: day }))
  })

  it.each(portionWrites)('%s: the portion itself is not an object', async (_, write) => {
    for (const portion of [null, undefined, '2023-01-01', ['2023-01-01', '2023-02-01'], 20230101]) {
      await rejectedBeforeSending(() => write(portion))
    }
  })

  it('a Date in year 0 (whose ISO string matches YYYY-MM-DD) is rejected like the string 0000-01-01', async () => {
    const yearZero = new Date(0)
    yearZero.setUTCFullYear(0, 0, 1)
    // Today toDay returns '0000-01-01'; PostgreSQL then fails with 22008 "date/time field value out of range".
    await rejectedBeforeSending(() => repo.set(KEY, { from: yearZero, to: '2023-01-01' }, VALUES))
  })

  it('correct: at must be a day that exists', async () => {
    for (const at of ['2023-02-30', 'infinity', 20230115, null, undefined, '2023-01-15T00:00:00Z']) {
      await rejectedBeforeSending(() => untyped().correct(KEY, { at }, { note: 'x' }))
    }
    for (const target of [null, undefined, '2023-01-15']) {
      await rejectedBeforeSending(() => untyped().correct(KEY, target, { note: 'x' }))
    }
  })

  it('a misspelt end of a portion is refused, not read as an open end, and nothing is written (docs/semantics.md §3)', async () => {
    const before = await repo.history(KEY)
    // Variables, not inline literals: TypeScript's excess-property check does not apply to them.
    const portion = { from: '2024-03-01', unti: '2024-04-01' }
    const setMessage = await rejectedBeforeSending(() => repo.set(KEY, portion, { name: 'gadget' }))
    expect(setMessage).toBe('bitemporal: set: unknown key "unti" in the portion; the portion is { from, to? }')
    const ending = { from: '2025-01-01', To: '2025-02-01' }
    expect(await rejectedBeforeSending(() => repo.delete(KEY, ending))).toBe(
      'bitemporal: delete: unknown key "To" in the portion; the portion is { from, to? }',
    )
    expect(await repo.history(KEY)).toEqual(before)
  })

  it.each(portionWrites)('%s: a key other than from and to in the portion is named and refused', async (_, write) => {
    expect(await rejectedBeforeSending(() => write({ form: '2023-01-01' }))).toContain('unknown key "form" in the portion; the portion is { from, to? }')
    expect(await rejectedBeforeSending(() => write({ from: '2023-01-01', unti: '2023-02-01' }))).toContain('"unti"')
    expect(await rejectedBeforeSending(() => write({ from: '2023-01-01', To: '2023-02-01' }))).toContain('"To"')
    expect(await rejectedBeforeSending(() => write({ from: '2023-01-01', to: '2023-02-01', at: '2023-01-15' }))).toContain('"at"')
    expect(await rejectedBeforeSending(() => write({ from: '2023-01-01', until: '2023-02-01', unti: '2023-02-01' }))).toContain(
      'unknown keys "until", "unti" in the portion',
    )
    // Present but undefined (spread from a wider object) is still a misspelt name, as for options.
    expect(await rejectedBeforeSending(() => write({ from: '2023-01-01', until: undefined }))).toContain('"until"')
  })

  it('correct: a key other than at in the point is named and refused, and nothing is written', async () => {
    const before = await repo.history(KEY)
    // Today { at, to } corrects the version at `at` and drops `to` without a word.
    expect(await rejectedBeforeSending(() => untyped().correct(KEY, { at: '2023-01-15', to: '2023-02-01' }, { note: 'x' }))).toBe(
      'bitemporal: correct: unknown key "to" in the point; the point is { at }',
    )
    expect(await rejectedBeforeSending(() => untyped().correct(KEY, { At: '2023-01-15' }, { note: 'x' }))).toContain('"At"')
    expect(await rejectedBeforeSending(() => untyped().correct(KEY, { from: '2023-01-15' }, { note: 'x' }))).toContain('"from"')
    expect(await repo.history(KEY)).toEqual(before)
  })

  it('reads: validAt must be a day and knownAt an instant with an offset', async () => {
    for (const validAt of ['2023-02-30', 'infinity', 20230115, null, '2023-01-15T00:00:00Z']) {
      await rejectedBeforeSending(() => untyped().asOf(KEY, { validAt }))
    }
    for (const knownAt of ['2023-01-15', '2023-01-15T00:00:00', 'infinity', 'now', 1_700_000_000_000, null, new Date(Number.NaN)]) {
      await rejectedBeforeSending(() => untyped().asOf(KEY, { knownAt }))
      await rejectedBeforeSending(() => untyped().timeline(KEY, { knownAt }))
    }
  })
})

describe('write options are checked before anything is sent', () => {
  const writes = [
    ['insert', (o: unknown) => untyped().insert({ id: 3, region: 'eu' }, { from: '2023-01-01' }, VALUES, o)],
    ['set', (o: unknown) => untyped().set(KEY, { from: '2023-01-01', to: '2023-02-01' }, { name: 'other' }, o)],
    ['set (timeline change)', (o: unknown) => untyped().set(KEY, { from: '2023-01-01' }, { name: 'other' }, o)],
    ['update', (o: unknown) => untyped().update(KEY, { from: '2023-01-01' }, { note: 'x' }, o)],
    ['correct', (o: unknown) => untyped().correct(KEY, { at: '2023-01-15' }, { note: 'x' }, o)],
    ['delete', (o: unknown) => untyped().delete(KEY, { from: '2023-01-01' }, o)],
  ] as const

  it.each(writes)('%s: options that are not an object', async (_, write) => {
    for (const options of [null, 'alice', 42, true]) await rejectedBeforeSending(() => write(options))
  })

  it.each(writes)('%s: expect that is not an instant with an offset', async (_, write) => {
    for (const expected of ['2023-01-01', '2023-01-01T00:00:00', 'yesterday', 'infinity', 12345, null, {}, new Date(Number.NaN)]) {
      await rejectedBeforeSending(() => write({ expect: expected }))
    }
  })

  it.each(writes)('%s: expect given a Date is refused, naming the string to pass instead (docs/semantics.md §3)', async (_, write) => {
    // A Date drops the microseconds of the system time it came from, so
    // the check could only ever fail, as a ConflictError that blamed a change.
    const message = await rejectedBeforeSending(() => write({ expect: new Date('2023-01-01T00:00:00.123Z') }))
    expect(message).toMatch(/^bitemporal: (insert|set|update|correct|delete): expect takes the systemTime string of lastChange\(\) or of a write, not a Date/)
    expect(message).not.toContain('setFrom')
  })

  it.each(writes)('%s: an actor or reason on a table without audit', async (_, write) => {
    expect(await rejectedBeforeSending(() => write({ actor: 'alice' }))).toMatch(/audit/)
    await rejectedBeforeSending(() => write({ reason: 'ticket 42' }))
    await rejectedBeforeSending(() => write({ actor: 'alice', reason: 'ticket 42' }))
  })

  it.each([
    ['asOf', (o: unknown) => untyped().asOf(KEY, o)],
    ['timeline', (o: unknown) => untyped().timeline(KEY, o)],
  ] as const)('%s: options that are not an object are an InvalidInputError, not a TypeError', async (_, read) => {
    for (const options of [null, 'now']) await rejectedBeforeSending(() => read(options))
  })
})

describe('errors arrive as rejected promises', () => {
  // A method that returns a Promise and throws synchronously breaks
  // `promise.catch(...)`, `Promise.allSettled([...])` and the like.
  it.each([
    ['insert', () => untyped().insert(KEY, { from: '2023-02-30' }, VALUES)],
    ['set', () => untyped().set(KEY, { from: '2023-02-30', to: '2023-03-01' }, VALUES)],
    ['set (timeline change)', () => untyped().set(KEY, { from: '2023-02-30' }, VALUES)],
    ['set with no portion', () => untyped().set(KEY, null, VALUES)],
    ['update', () => untyped().update(KEY, { from: '2023-02-01', to: '2023-01-01' }, {})],
    ['correct', () => untyped().correct(KEY, { at: '2023-02-30' }, {})],
    ['delete', () => untyped().delete(KEY, { from: 'infinity' })],
    ['asOf', () => untyped().asOf(KEY, { validAt: '2023-02-30' })],
    ['timeline', () => untyped().timeline({ nope: 1 })],
  ] as const)('%s', async (_, call) => {
    let promise: Promise<unknown> | undefined
    expect(() => {
      promise = call()
    }).not.toThrow()
    expect(promise).toBeInstanceOf(Promise)
    await rejectsWithCode(() => promise ?? Promise.resolve(), 'INVALID_INPUT')
    expect(sent).toEqual([])
  })
})

describe('values travel as parameters', () => {
  const hostile = [
    "'); drop table items; --",
    "Robert'); DROP TABLE items;--",
    '$1 $2 ::text',
    '\\x00 \\\\ backslashes',
    '"double" \'single\' `back`',
    '{a,b} {"NULL"} NULL',
    'é€😀 \u202e',
  ]

  it('stores SQL-looking strings verbatim, in values, arrays and keys, and the table survives', async () => {
    for (const [i, text] of hostile.entries()) {
      const key = { id: 100 + i, region: text }
      // text[] is typed string[], but an element may be NULL (and reads return it as null).
      await repo.set(key, { from: '2023-01-01' }, { name: text, note: text, tags: [text, 'NULL', null] as string[] })
      const version = await repo.asOf(key, { validAt: '2023-01-01' })
      expect(version?.key).toEqual(key)
      expect(version?.values).toEqual({ name: text, qty: 0, note: text, tags: [text, 'NULL', null], price: null, arrived: null })
    }
    const stored = await sql<{ name: string }>`select name from items where id >= 100 order by id`.execute(database().db)
    expect(stored.rows.map((r) => r.name)).toEqual(hostile)
    const tables = await sql<{ n: number }>`select count(*)::int as n from pg_tables where tablename = 'items'`.execute(database().db)
    expect(tables.rows[0]?.n).toBe(1)
  })

  it('round-trips every kind of value through a write and a read', async () => {
    const kindsRepo = bitemporal(counted, kinds)
    const key = { id: '9007199254740993' }
    const values = {
      big: '9223372036854775807',
      amount: '12345678901234567890.000000000000000001',
      meta: { nested: { a: [1, 'two', null, true] }, 'odd key': "'; --" },
      list: [1, { b: 2 }, 'three'],
      photo: new Uint8Array([0, 1, 127, 128, 255]),
      labels: ['a', null, 'b,c', '"q"', 'NULL', ''],
      counts: [1, null, -3],
      active: false,
      seen_at: '2023-01-01T05:30:00.123456+05:30',
      opened: '2024-02-29',
      local: '2024-02-29 23:59:59.5',
    }
    await kindsRepo.set(key, { from: '2023-01-01' }, values)
    const version = await kindsRepo.asOf(key, { validAt: '2023-06-01' })
    expect(version?.key).toEqual(key)
    expect(version?.values).toEqual({ ...values, seen_at: '2023-01-01T00:00:00.123456Z', local: '2024-02-29T23:59:59.500000' })
    const stored = await sql<{ kind: string; length: number }>`select jsonb_typeof(list) as kind, jsonb_array_length(list) as length from kinds`.execute(
      database().db,
    )
    expect(stored.rows).toEqual([{ kind: 'array', length: 3 }])
  })

  it('writes and reads a jsonb[] column', async () => {
    const docsRepo = bitemporal(counted, docs)
    await docsRepo.set({ id: 1 }, { from: '2023-01-01' }, { parts: [{ a: 1 }, [2], 'three'] })
    expect((await docsRepo.asOf({ id: 1 }, { validAt: '2023-01-01' }))?.values.parts).toEqual([{ a: 1 }, [2], 'three'])
  })
})

describe('the database handle', () => {
  it('takes a pg.Pool directly, for writes and reads, and leaves the pool open', async () => {
    const pool = new pg.Pool({ connectionString: database().url, max: 2 })
    try {
      const pooled = bitemporal(pool, items)
      const key = { id: 200, region: 'pool' }
      const first = await pooled.set(key, { from: '2023-01-01' }, { name: 'pooled' })
      expect(first.systemTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/)
      await pooled.update(key, { from: '2023-02-01' }, { qty: 2 })
      expect((await pooled.asOf(key, { validAt: '2023-03-01' }))?.values).toMatchObject({ name: 'pooled', qty: 2 })
      expect(await pooled.timeline(key)).toHaveLength(2)
      expect(await pooled.lastChange(key)).not.toBeNull()
      expect((await repo.asOf(key, { validAt: '2023-01-15' }))?.values.name).toBe('pooled')
      expect(pool.ended).toBe(false)
      expect((await pool.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }])
    } finally {
      await pool.end()
    }
  })

  it("does not depend on the pool's type parsers for dates, timestamps, numerics or json", async () => {
    const garbage = (): string => 'garbage from a custom parser'
    const types = new pg.TypeOverrides()
    // date, timestamp, timestamptz, numeric, int8, json, jsonb, daterange, tstzrange
    for (const oid of [1082, 1114, 1184, 1700, 20, 114, 3802, 3912, 3910]) types.setTypeParser(oid, garbage)
    const pool = new pg.Pool({ connectionString: database().url, max: 1, types })
    try {
      const parsed = bitemporal(pool, items)
      const key = { id: 201, region: 'parsers' }
      const result = await parsed.set(key, { from: '2023-01-01', to: '2023-02-01' }, { name: 'p', price: '1.50' })
      expect(result.systemTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/)
      const version = await parsed.asOf(key, { validAt: '2023-01-31' })
      expect(version?.values.price).toBe('1.50')
      expect(version?.effective).toEqual({ from: '2023-01-01', to: '2023-02-01' })
      expect(version?.system.from).toBe(result.systemTime)
      expect(await parsed.lastChange(key)).toBe(result.systemTime)
    } finally {
      await pool.end()
    }
  })

  it('repo.with(trx) commits with the caller’s transaction, at one system time', async () => {
    const a = { id: 300, region: 'trx' }
    const b = { id: 301, region: 'trx' }
    const results = await database()
      .db.transaction()
      .execute(async (trx) => {
        const inside = repo.with(trx)
        const first = await inside.set(a, { from: '2023-01-01' }, { name: 'a' })
        const second = await inside.set(b, { from: '2023-01-01' }, { name: 'b' })
        expect((await inside.asOf(a, { validAt: '2023-01-01' }))?.values.name).toBe('a')
        // Not committed yet: another connection does not see it.
        expect(await repo.asOf(a, { validAt: '2023-01-01' })).toBeUndefined()
        return [first, second] as const
      })
    expect(results[0].systemTime).not.toBeNull()
    expect(results[1].systemTime).toBe(results[0].systemTime)
    expect((await repo.asOf(a, { validAt: '2023-01-01' }))?.values.name).toBe('a')
    expect((await repo.asOf(b, { validAt: '2023-01-01' }))?.system.from).toBe(results[0].systemTime)
  })

  it('repo.with(trx) rolls back with the caller’s transaction, leaving nothing', async () => {
    const key = { id: 302, region: 'trx' }
    await repo.set(key, { from: '2023-01-01' }, { name: 'before' })
    const before = await snapshot('items')
    await expect(
      database()
        .db.transaction()
        .execute(async (trx) => {
          const inside = repo.with(trx)
          await inside.set(key, { from: '2023-01-01' }, { name: 'during' })
          await inside.insert({ id: 303, region: 'trx' }, { from: '2023-01-01' }, { name: 'new' })
          await inside.delete(key, { from: '2023-06-01' })
          // The rows 'during' inserted were this transaction's own: the delete replaced them rather than closing them.
          expect((await inside.history(key)).map((v) => [v.values.name, v.effective.to, v.system.to === null])).toEqual([
            ['before', null, false],
            ['during', '2023-06-01', true],
          ])
          throw new Error('caller changes its mind')
        }),
    ).rejects.toThrow('caller changes its mind')
    expect(await snapshot('items')).toEqual(before)
    expect(await repo.history({ id: 303, region: 'trx' })).toEqual([])
    expect((await repo.asOf(key, { validAt: '2023-07-01' }))?.values.name).toBe('before')
  })

  it('an input error inside a transaction sends nothing, so the transaction can go on', async () => {
    const key = { id: 304, region: 'trx' }
    await database()
      .db.transaction()
      .execute(async (trx) => {
        const inside = repo.with(trx)
        await rejectsWithCode(() => inside.set(key, { from: '2023-02-30' }, { name: 'x' }), 'INVALID_INPUT')
        await rejectsWithCode(() => untyped(inside).set(key, { from: '2023-01-01' }, { nope: 1 }), 'INVALID_INPUT')
        await inside.set(key, { from: '2023-01-01' }, { name: 'after the errors' })
      })
    expect((await repo.asOf(key, { validAt: '2023-01-01' }))?.values.name).toBe('after the errors')
  })
})
