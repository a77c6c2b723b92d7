/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument, @typescript-eslint/require-await -- hostile calls are made the way plain JavaScript makes them */
import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { BitemporalErrorCode } from '../../src/errors/errors.js'
import * as library from '../../src/index.js'

// The catalogue of issue 8's hostile inputs: every public function, called
// the way plain JavaScript (or a JSON request body) can call it. Each entry
// names what is wrong, makes the call, and says which typed error it must
// give. test/integration/hostile-inputs.test.ts runs them.

/** What a case may use: repositories and a Kysely over a pool that counts what it sends. */
export interface HostileContext {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the point is calls TypeScript would refuse
  readonly db: Kysely<any>
  /** Repository of `items` (key { id integer, region text }), untyped. */
  readonly items: Untyped
  /** Repository of `ledger` (audit: true), untyped. */
  readonly ledger: Untyped
  readonly definitions: { readonly items: library.TableDefinition; readonly ledger: library.TableDefinition }
}

/** Any method, any arguments. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see HostileContext
export type Untyped = any

export interface HostileCase {
  readonly area: string
  readonly description: string
  readonly call: (context: HostileContext) => unknown
  readonly code: BitemporalErrorCode
  /**
   * The input is well-formed JavaScript but the column's SQL type refuses it
   * (a `varchar(5)`, a `smallint`, jsonb and NUL): only PostgreSQL knows, so
   * one statement is sent and rolled back. Otherwise nothing may be sent.
   */
  readonly reachesDatabase?: boolean
}

/** The library, without its types. */
const bt: Untyped = library
const KEY = { id: 1, region: 'eu' }
const VALUES = { name: 'widget' }
const MEGABYTE = 1 << 20
/** Incompressible, so that TOAST cannot shrink it into an index entry. */
const megabyte = (): string => randomBytes(MEGABYTE / 2).toString('hex')
/** Pulls the first batch of a stream: where a stream checks its arguments. */
const firstOf = async (stream: AsyncIterable<unknown>): Promise<unknown> => stream[Symbol.asyncIterator]().next()
const proto = (json: string): unknown => JSON.parse(json) as unknown
const version = (effective: unknown, system: unknown): unknown => ({ key: { id: 1 }, values: {}, effective, system })
const define = (options: unknown) => (): unknown => bt.defineTable(options)
const table = (extra: Record<string, unknown>): unknown => ({ name: 'hostile', key: { id: 'integer' }, values: { v: 'text' }, ...extra })

type Row = readonly [string, (context: HostileContext) => unknown, BitemporalErrorCode?, 'reaches database'?]

/** One area's rows: [description, call, code (default INVALID_INPUT), whether it reaches the database]. */
function area(name: string, rows: readonly Row[]): HostileCase[] {
  return rows.map(([description, call, code = 'INVALID_INPUT', reaches]) => ({
    area: name,
    description,
    call,
    code,
    ...(reaches === undefined ? {} : { reachesDatabase: true }),
  }))
}

const setFrom = (from: unknown, to?: unknown) => ({ items }: HostileContext): unknown =>
  items.set(KEY, to === undefined ? { from } : { from, to }, VALUES)

export const HOSTILE_CASES: readonly HostileCase[] = [
  ...area('dates', [
    ['a day that does not exist: 2023-02-30', setFrom('2023-02-30', '2024-01-01')],
    ['29 February of a common year', setFrom('2023-02-29', '2024-01-01')],
    ['month 13', ({ items }) => items.update(KEY, { from: '2023-13-01' }, { qty: 1 })],
    ['year zero: 0000-01-01', setFrom('0000-01-01', '2024-01-01')],
    ['a five-digit year: 10000-01-01', setFrom('2023-01-01', '10000-01-01')],
    ['unpadded: 2023-1-1', setFrom('2023-1-1')],
    ["'infinity' as from", setFrom('infinity')],
    ["'-infinity' as from", setFrom('-infinity', '2024-01-01')],
    ["'infinity' as to", setFrom('2023-01-01', 'infinity')],
    ['a reversed portion', setFrom('2024-01-01', '2023-01-01')],
    ['an empty portion', ({ items }) => items.delete(KEY, { from: '2023-01-01', to: '2023-01-01' })],
    ['NaN as a day', setFrom(Number.NaN)],
    ['Infinity as a day', setFrom('2023-01-01', Number.POSITIVE_INFINITY)],
    ['a number as a day (20230101)', setFrom(20230101)],
    ['epoch milliseconds as a day', setFrom(Date.UTC(2023, 0, 1))],
    ['an invalid Date', setFrom(new Date(Number.NaN))],
    ['a Date in the year 10000', setFrom(new Date('+010000-01-01T00:00:00Z'))],
    ['an instant where a day is expected', setFrom('2023-01-01T00:00:00Z')],
    ['a day with a NUL byte', setFrom('2023-01-01\0')],
    ["SQL in a day: 2023-01-01'; drop table items; --", setFrom("2023-01-01'; drop table items; --")],
    ['correct at a day that does not exist', ({ items }) => items.correct(KEY, { at: '2023-04-31' }, { qty: 1 })],
    ["asOf validAt 'infinity'", ({ items }) => items.asOf(KEY, { validAt: 'infinity' })],
    ['asOf knownAt without an offset (session time zone)', ({ items }) => items.asOf(KEY, { knownAt: '2023-01-01T00:00:00' })],
    ["asOf knownAt 'now'", ({ items }) => items.asOf(KEY, { knownAt: 'now' })],
    ["timeline knownAt '-infinity'", ({ items }) => items.timeline(KEY, { knownAt: '-infinity' })],
    ['timeline with a reversed window', ({ items }) => items.timeline(KEY, { from: '2024-01-01', to: '2023-01-01' })],
    ['changes over a reversed interval', ({ items }) => items.changes({ since: '2024-01-01T00:00:00Z', until: '2023-01-01T00:00:00Z' })],
    ['changes without since', ({ items }) => items.changes({ until: '2024-01-01T00:00:00Z' })],
    ['a date column given 2023-02-30', ({ items }) => items.set(KEY, { from: '2023-01-01' }, { name: 'x', born: '2023-02-30' })],
    ["a date column given 'infinity'", ({ items }) => items.set(KEY, { from: '2023-01-01' }, { name: 'x', born: 'infinity' })],
  ]),
  ...area('numbers', [
    ['NaN in an integer column', ({ items }) => items.update(KEY, { from: '2023-01-01' }, { qty: Number.NaN })],
    ['Infinity in an integer column', ({ items }) => items.update(KEY, { from: '2023-01-01' }, { qty: Number.POSITIVE_INFINITY })],
    ['2^31 in an integer column', ({ items }) => items.update(KEY, { from: '2023-01-01' }, { qty: 2 ** 31 })],
    ['1.5 in an integer column', ({ items }) => items.update(KEY, { from: '2023-01-01' }, { qty: 1.5 })],
    ["'NaN' in a numeric column", ({ items }) => items.update(KEY, { from: '2023-01-01' }, { price: 'NaN' })],
    ['-Infinity in a numeric column', ({ items }) => items.update(KEY, { from: '2023-01-01' }, { price: Number.NEGATIVE_INFINITY })],
    ['99999 in a smallint column', ({ items }) => items.update(KEY, { from: '2023-01-01' }, { small: 99999 }), 'INVALID_INPUT', 'reaches database'],
    ['NaN as an integer key', ({ items }) => items.history({ id: Number.NaN, region: 'eu' })],
    ['a bigint as an integer key', ({ items }) => items.history({ id: 1n, region: 'eu' })],
  ]),
  ...area('strings', [
    ['1 MB in a varchar(5) column', ({ items }) => items.update(KEY, { from: '2023-01-01' }, { code: megabyte() }), 'INVALID_INPUT', 'reaches database'],
    ['1 MB as an integer key', ({ items }) => items.history({ id: megabyte(), region: 'eu' })],
    ['1 MB as a day', setFrom(megabyte())],
    ['1 MB in a numeric column', ({ items }) => items.update(KEY, { from: '2023-01-01' }, { price: megabyte() })],
    ['a NUL byte in a text value', ({ items }) => items.update(KEY, { from: '2023-01-01' }, { name: 'wid\0get' })],
    ['a NUL byte in a text key', ({ items }) => items.history({ id: 1, region: 'e\0u' })],
    ['a NUL character in a jsonb string', ({ items }) => items.update(KEY, { from: '2023-01-01' }, { meta: { a: 'x\0y' } }), 'INVALID_INPUT', 'reaches database'],
    ['a NUL byte in an actor', ({ ledger }) => ledger.set({ id: 1 }, { from: '2023-01-01' }, { amount: '1' }, { actor: 'al\0ice' })],
    ['an empty actor on an audited table', ({ ledger }) => ledger.set({ id: 1 }, { from: '2023-01-01' }, { amount: '1' }, { actor: '  ' })],
    ['a number as the reason', ({ ledger }) => ledger.set({ id: 1 }, { from: '2023-01-01' }, { amount: '1' }, { actor: 'a', reason: 42 })],
  ]),
  ...area('key shapes', [
    ['a missing key column', ({ items }) => items.set({ id: 1 }, { from: '2023-01-01' }, VALUES)],
    ['an extra key column', ({ items }) => items.asOf({ ...KEY, tenant: 2 })],
    ['an array as the key', ({ items }) => items.timeline([1, 'eu'])],
    ['null as the key', ({ items }) => items.history(null)],
    ['a nested object as a key value', ({ items }) => items.history({ id: { id: 1 }, region: 'eu' })],
    ['an own __proto__ key from JSON.parse', ({ items }) => items.set(proto('{"id": 1, "region": "eu", "__proto__": {"x": 1}}'), { from: '2023-01-01' }, VALUES)],
    ['a key whose columns come from its prototype', ({ items }) => items.history(Object.create(KEY))],
    ['constructor as a key column', ({ items }) => items.history({ ...KEY, constructor: 1 })],
    ['prototype as a key column', ({ items }) => items.lastChange({ ...KEY, prototype: 1 })],
    ['a string as the key', ({ items }) => items.asOf('1,eu')],
    ['SQL as a key column name', ({ items }) => items.history({ 'id = id or true; --': 1, region: 'eu' })],
    ['SQL in an integer key', ({ items }) => items.history({ id: '1 or 1=1', region: 'eu' })],
  ]),
  ...area('values', [
    ['an unknown column', ({ items }) => items.set(KEY, { from: '2023-01-01' }, { name: 'x', colour: 'red' })],
    ['the system column', ({ items }) => items.set(KEY, { from: '2023-01-01' }, { name: 'x', system: '[2000-01-01,)' })],
    ['the effective column', ({ items }) => items.update(KEY, { from: '2023-01-01' }, { effective: '[2000-01-01,)' })],
    ['a key column among the values', ({ items }) => items.update(KEY, { from: '2023-01-01' }, { id: 2 })],
    ['an own __proto__ from JSON.parse', ({ items }) => items.set(KEY, { from: '2023-01-01' }, proto('{"name": "x", "__proto__": {"qty": 1}}'))],
    ['constructor as a column', ({ items }) => items.update(KEY, { from: '2023-01-01' }, { constructor: 'x' })],
    ['prototype as a column', ({ items }) => items.correct(KEY, { at: '2023-01-15' }, { prototype: 'x' })],
    ['a nested object in a text column', ({ items }) => items.update(KEY, { from: '2023-01-01' }, { name: { toString: 'x' } })],
    ['an array as the values', ({ items }) => items.set(KEY, { from: '2023-01-01' }, ['widget'])],
    ['null as the values', ({ items }) => items.update(KEY, { from: '2023-01-01' }, null)],
    ['null for a not-null column', ({ items }) => items.set(KEY, { from: '2023-01-01' }, { name: null })],
    ['SQL in an integer column', ({ items }) => items.update(KEY, { from: '2023-01-01' }, { qty: '1; drop table items' })],
    ['a function in a jsonb column', ({ items }) => items.update(KEY, { from: '2023-01-01' }, { meta: () => 1 })],
    ['a cyclic object in a jsonb column', ({ items }) => {
      const cyclic: Record<string, unknown> = {}
      cyclic['self'] = cyclic
      return items.update(KEY, { from: '2023-01-01' }, { meta: cyclic })
    }],
  ]),
  ...area('options', [
    ['a string as write options', ({ items }) => items.set(KEY, { from: '2023-01-01' }, VALUES, 'alice')],
    ['a misspelt write option (expected)', ({ items }) => items.set(KEY, { from: '2023-01-01' }, { name: 'x' }, { expected: '2023-01-01T00:00:00Z' })],
    ['expect without an offset', ({ items }) => items.delete(KEY, { from: '2030-01-01' }, { expect: '2023-01-01 00:00:00' })],
    ['an own __proto__ in write options', ({ items }) => items.set(KEY, { from: '2023-01-01' }, { name: 'x' }, proto('{"__proto__": {"expect": "2023-01-01T00:00:00Z"}}'))],
    ['an actor on a table without audit', ({ items }) => items.set(KEY, { from: '2023-01-01' }, { name: 'x' }, { actor: 'alice' })],
    ['a misspelt asOf option (knownat)', ({ items }) => items.asOf(KEY, { knownat: '2023-01-01T00:00:00Z' })],
    ["timeline coalesce 'yes'", ({ items }) => items.timeline(KEY, { coalesce: 'yes' })],
    ['changes with an unknown option', ({ items }) => items.changes({ since: '2023-01-01T00:00:00Z', keys: [KEY] })],
    ['a portion with an own __proto__', ({ items }) => items.set(KEY, proto('{"__proto__": {"from": "2023-01-01"}}'), VALUES)],
    ['streamHistory batchSize 0', async ({ items }) => {
      await firstOf(items.streamHistory(KEY, { batchSize: 0 }))
    }],
    ['streamHistory with a misspelt batchsize', async ({ items }) => {
      await firstOf(items.streamHistory(KEY, { batchsize: 10 }))
    }],
    ['streamChanges with batchSize NaN', async ({ items }) => {
      await firstOf(items.streamChanges({ since: '2023-01-01T00:00:00Z' }, { batchSize: Number.NaN }))
    }],
    ['load batchSize -1', ({ items }) => items.load([], { batchSize: -1 })],
    ['load with a misspelt option', ({ items }) => items.load([], { batchsize: 10 })],
    ['load from something not iterable', ({ items }) => items.load({ length: 1 })],
    ['load a version with an extra field', ({ items }) => items.load([{ key: KEY, effective: { from: '2023-01-01' }, values: VALUES, system: null }])],
    ['load a version with 2023-02-30', ({ items }) => items.load([{ key: { id: 9, region: 'eu' }, effective: { from: '2023-02-30' }, values: VALUES }])],
    ["bitemporal with prepare: 'yes'", ({ db, definitions }) => bt.bitemporal(db, definitions.items, { prepare: 'yes' })],
    ['bitemporal with an unknown option', ({ db, definitions }) => bt.bitemporal(db, definitions.items, { prepared: false })],
  ]),
  ...area('defineTable', [
    ['SQL in the table name', define(table({ name: 'items; drop table items' }))],
    ['SQL in the schema name', define(table({ name: 'public"; drop schema public; --.items' }))],
    ['SQL in a column name', define(table({ values: { 'v text); drop table items; --': 'text' } }))],
    ['SQL in a column type', define(table({ values: { v: 'text; drop table items' } }))],
    ['a column constraint in a type', define(table({ values: { v: 'integer references items' } }))],
    ['SQL in a default', define(table({ values: { v: "text default 'x'); drop table items; --" } }))],
    ['SQL in effectiveColumn', define(table({ effectiveColumn: 'effective" daterange); --' }))],
    ['a 64-character table name', define(table({ name: 'a'.repeat(64) }))],
    ['a 64-character column name', define(table({ values: { ['c'.repeat(64)]: 'text' } }))],
    ['a NUL byte in the table name', define(table({ name: 'items\0' }))],
    ['a 1 MB column type', define(table({ values: { v: megabyte() } }))],
    ['__proto__ as a column (JSON.parse)', define(proto('{"name": "t", "key": {"id": "integer"}, "values": {"__proto__": "text"}}'))],
    ['an own __proto__ among the options (JSON.parse)', define(proto('{"name": "t", "key": {"id": "integer"}, "values": {}, "__proto__": {"audit": true}}'))],
    ['a misspelt option (audits)', define(table({ audits: true }))],
    ['no key column', define(table({ key: {} }))],
    ['an array as the key', define(table({ key: ['id'] }))],
    ["effective: 'datetime'", define(table({ effective: 'datetime' }))],
    ["audit: 'yes'", define(table({ audit: 'yes' }))],
    ['a reference to a table name instead of a definition', define(table({ references: [{ table: 'items', columns: { id: 'id' } }] }))],
    ['null', define(null)],
  ]),
  ...area('other functions', [
    ['createTableSql(null)', () => bt.createTableSql(null)],
    ['createTable with a table name', ({ db }) => bt.createTable(db, 'items')],
    ['dropTable(db, {})', ({ db }) => bt.dropTable(db, {})],
    ['bitemporal with a table name', ({ db }) => bt.bitemporal(db, 'items')],
    ['bitemporal without a database', ({ definitions }) => bt.bitemporal(null, definitions.items)],
    ['repo.with(null)', ({ items }) => items.with(null)],
    ['asOf with SQL as the alias', ({ definitions }) => bt.asOf(definitions.items, 'i" where true; --', {})],
    ['asOf validAt 2023-02-30', ({ definitions }) => bt.asOf(definitions.items, { validAt: '2023-02-30' })],
    ['asOfPlugin without tables', () => bt.asOfPlugin({ tables: [] })],
    ['asOfPlugin with a misspelt option', ({ definitions }) => bt.asOfPlugin({ tables: [definitions.items], validat: '2023-01-01' })],
    ['query with knownAt yesterday', ({ items }) => items.query({ knownAt: 'yesterday' })],
    ['streamQuery with SQL text instead of a query', async ({ db }) => {
      await firstOf(bt.streamQuery(db, 'select * from items'))
    }],
    ["combineTimelines from 'infinity'", ({ db, definitions }) => bt.combineTimelines(db, { left: { table: definitions.items, key: KEY }, right: { table: definitions.items, key: KEY }, from: 'infinity' })],
    ['combineTimelines with a key missing', ({ db, definitions }) => bt.combineTimelines(db, { left: { table: definitions.items, key: KEY }, right: { table: definitions.items } })],
    ['combineTimelines with a misspelt option', ({ db, definitions }) => bt.combineTimelines(db, { left: { table: definitions.items, key: KEY }, right: { table: definitions.items, key: KEY }, knownat: '2023-01-01T00:00:00Z' })],
    ['renderHistory of a reversed range', () => bt.renderHistory([version({ from: '2023-02-01', to: '2023-01-01' }, { from: '2023-01-01T00:00:00Z', to: null })], { format: 'text' })],
    ["renderHistory format 'png'", () => bt.renderHistory([], { format: 'png' })],
    ['renderHistory of a string', () => bt.renderHistory('history', { format: 'svg' })],
    ['migrate with SQL as the schema', ({ db }) => bt.migrate({ db, folder: 'migrations', schema: 'x; drop schema public' })],
    ['migrate without a folder', ({ db }) => bt.migrate({ db })],
    ['MigrationRunner with a 64-character table', ({ db }) => new bt.MigrationRunner({ db, folder: 'migrations', table: 'm'.repeat(64) })],
    ['MigrationRunner(null)', () => new bt.MigrationRunner(null)],
    ['install(null)', () => bt.install(null)],
    ['transaction with no function', ({ db }) => bt.transaction(db, null)],
    ['transaction retries NaN (would retry forever)', ({ db }) => bt.transaction(db, async () => 1, { retries: Number.NaN })],
    ["transaction isolationLevel 'chaos'", ({ db }) => bt.transaction(db, async () => 1, { isolationLevel: 'chaos' })],
    ['transaction with a misspelt option', ({ db }) => bt.transaction(db, async () => 1, { retry: 5 })],
  ]),
]
