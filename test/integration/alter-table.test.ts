import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SchemaChangeRefusedError } from '../../src/errors/schema-change-errors.js'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { alterTable } from '../../src/schema/alter-table/alter-table.js'
import { alterTableSql } from '../../src/schema/alter-table/alter-table-sql.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable, type TableOptions } from '../../src/schema/define-table.js'
import { countingPool, type CountingPool } from '../support/counting-pool.js'
import { useTestDatabase } from '../support/database.js'
import { rejectsWithCode } from '../support/rejects-with-code.js'

// alterTable on a table with history: each supported change keeps every
// recorded version (compared row by row, system ranges included) and the
// reads at a past knownAt; each refused change is refused with its code and
// leaves the catalog as it was (docs/semantics.md §5a).

const database = useTestDatabase()
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw SQL on the tables the tests create
const db = (): Kysely<any> => database().db
let pool: CountingPool

beforeAll(async () => {
  await install(db())
  // Several connections, each of which has written before the change.
  pool = countingPool({ connectionString: database().url, max: 3 })
})
afterAll(async () => {
  await pool.end()
})

type Columns = Readonly<Record<string, string>>
const define = (name: string, values: Columns, more: Partial<TableOptions<Columns, Columns>> = {}) =>
  defineTable({ name, key: { sku: 'text' }, values, ...more })

/** Every row of `table` as the text of `columns`, sorted: the history version by version. */
async function versions(table: string, columns: readonly string[]): Promise<string[]> {
  const list = columns.map((column) => `t.${column}`).join(', ')
  const result = await sql<{ row: string }>`select row(${sql.raw(list)})::text as row from ${sql.table(table)} t order by 1`.execute(db())
  return result.rows.map((row) => row.row)
}

/** What a refused change must leave untouched: columns with types, trigger definitions, the registry row. */
async function catalog(table: string): Promise<unknown> {
  const result = await sql<{ snapshot: unknown }>`
    select json_build_object(
      'columns', (select json_agg(json_build_array(attname, format_type(atttypid, atttypmod), attnotnull) order by attnum) from pg_attribute where attrelid = ${table}::regclass and attnum > 0 and not attisdropped),
      'triggers', (select json_agg(pg_get_triggerdef(oid) order by tgname) from pg_trigger where tgrelid = ${table}::regclass and not tgisinternal),
      'registry', (select row_to_json(v) from bitemporal.versioned_table v where relation = ${table}::regclass)) as snapshot`.execute(db())
  return result.rows[0]?.snapshot
}

/** A table with keys A and B, several versions each (some closed), and a knownAt that sees only the first writes. */
async function tableWithHistory(name: string, values: Columns, first: Record<string, unknown>, second: Record<string, unknown>) {
  const definition = define(name, values)
  await createTable(db(), definition)
  const repo = bitemporal(db(), definition)
  let knownAt = ''
  for (const sku of ['A', 'B']) knownAt = (await repo.set({ sku }, { from: '2024-01-01' }, first)).systemTime ?? ''
  for (const sku of ['A', 'B']) await repo.update({ sku }, { from: '2024-02-01' }, second)
  // Warm every pooled connection with a write under the old columns.
  const pooled = bitemporal(pool.db, definition)
  await Promise.all(['C', 'D', 'E'].map((sku) => pooled.set({ sku }, { from: '2024-01-01' }, first as never)))
  const past = await repo.timeline({ sku: 'A' }, { knownAt })
  return { definition, knownAt, past }
}

/** Writes on every pooled connection at once, with the new definition, right after the change. */
async function writeOnEveryConnection(definition: ReturnType<typeof define>, values: Record<string, unknown>): Promise<void> {
  const pooled = bitemporal(pool.db, definition)
  const results = await Promise.all(['C', 'D', 'E'].map((sku) => pooled.update({ sku }, { from: '2024-03-01' }, values as never)))
  // Each update splits [2024-01-01, ∞) at 2024-03-01: one closed, two inserted.
  expect(results.map((result) => [result.closed, result.inserted])).toEqual([[1, 2], [1, 2], [1, 2]])
}

describe('supported changes keep every recorded version', () => {
  it('adds a nullable column: earlier versions read null, at a past knownAt too', async () => {
    const { knownAt, past } = await tableWithHistory('alter_add', { net: 'numeric not null' }, { net: '1.00' }, { net: '2.00' })
    const before = await versions('alter_add', ['sku', 'net', 'effective', 'system'])
    const next = define('alter_add', { net: 'numeric not null', currency: 'text' })
    const preview = await alterTableSql(db(), next)
    expect(preview).toContain('alter table "alter_add" add column "currency" text;')
    expect(await versions('alter_add', ['sku', 'net', 'effective', 'system'])).toEqual(before)
    await alterTable(db(), next)
    expect(await versions('alter_add', ['sku', 'net', 'effective', 'system'])).toEqual(before)
    expect(new Set(await versions('alter_add', ['currency']))).toEqual(new Set(['()']))
    const repo = bitemporal(db(), next)
    expect(await repo.timeline({ sku: 'A' }, { knownAt })).toEqual(past.map((version) => ({ ...version, values: { ...version.values, currency: null } })))
    await writeOnEveryConnection(next, { currency: 'EUR' })
    expect((await repo.timeline({ sku: 'C' })).map((version) => version.values)).toEqual([
      { net: '1.00', currency: null },
      { net: '1.00', currency: 'EUR' },
    ])
    const registered = await sql<{ value_columns: string[] }>`select value_columns from bitemporal.versioned_table where relation = 'alter_add'::regclass`.execute(db())
    expect(registered.rows).toEqual([{ value_columns: ['net', 'currency'] }])
  })

  it("adds a column with a default on a table with rows only with { defaults: { c: 'every-version' } }: every version reads it", async () => {
    const { knownAt } = await tableWithHistory('alter_default', { net: 'numeric not null' }, { net: '1.00' }, { net: '2.00' })
    const before = await catalog('alter_default')
    const next = define('alter_default', { net: 'numeric not null', currency: "text not null default 'EUR'" })
    const refused = await rejectsWithCode(() => alterTable(db(), next), 'SCHEMA_CHANGE_REFUSED')
    expect(refused).toMatchObject({ table: 'alter_default', column: 'currency', change: 'default-needs-reading' })
    expect(refused.message).toMatch(/defaults: \{ currency: 'every-version' \}/)
    const later = await rejectsWithCode(() => alterTable(db(), next, { defaults: { currency: 'current-versions' } }), 'SCHEMA_CHANGE_REFUSED')
    expect(later).toMatchObject({ change: 'current-versions-default' })
    expect(await catalog('alter_default')).toEqual(before)

    await alterTable(db(), next, { defaults: { currency: 'every-version' } })
    const repo = bitemporal(db(), next)
    expect((await repo.timeline({ sku: 'A' }, { knownAt })).map((version) => version.values)).toEqual([{ net: '1.00', currency: 'EUR' }])
    await writeOnEveryConnection(next, { currency: 'USD' })
  })

  it('widens integer → bigint, varchar(5) → text and numeric(6,2) → numeric(10,2); the values keep their text', async () => {
    const values = { qty: 'integer', code: 'varchar(5)', price: 'numeric(6,2)' }
    const { knownAt, past } = await tableWithHistory('alter_widen', values, { qty: 1, code: 'ab', price: '1.50' }, { qty: 2147483647, code: 'abcde', price: '9999.99' })
    const before = await versions('alter_widen', ['sku', 'qty', 'code', 'price', 'effective', 'system'])
    const next = define('alter_widen', { qty: 'bigint', code: 'text', price: 'numeric(10,2)' })
    await alterTable(db(), next)
    expect(await versions('alter_widen', ['sku', 'qty', 'code', 'price', 'effective', 'system'])).toEqual(before)
    const types = await sql<{ t: string }>`
      select format_type(atttypid, atttypmod) as t from pg_attribute where attrelid = 'alter_widen'::regclass and attname in ('qty', 'code', 'price') order by attnum`.execute(db())
    expect(types.rows.map((row) => row.t)).toEqual(['bigint', 'text', 'numeric(10,2)'])
    const repo = bitemporal(db(), next)
    // bigint reads as a string, with the same digits.
    expect((await repo.timeline({ sku: 'A' }, { knownAt })).map((version) => version.values)).toEqual(past.map((version) => ({ ...version.values, qty: String(version.values['qty']) })))
    await writeOnEveryConnection(next, { qty: String(2 ** 40), code: 'a longer code', price: '12345678.00' })
    // The guard was made again and still refuses a rewrite.
    await expect(sql`update alter_widen set qty = 0`.execute(db())).rejects.toMatchObject({ code: 'BT001' })
  })

  it('renames a value column named in rename: its history reads under the new name', async () => {
    const { knownAt, past } = await tableWithHistory('alter_rename', { price: 'numeric not null' }, { price: '1.00' }, { price: '2.00' })
    const before = await versions('alter_rename', ['sku', 'price', 'effective', 'system'])
    const next = define('alter_rename', { amount: 'numeric not null' })
    const dropped = await rejectsWithCode(() => alterTable(db(), next), 'SCHEMA_CHANGE_REFUSED')
    expect(dropped).toMatchObject({ change: 'drop', column: 'price' })
    expect(dropped.message).toMatch(/rename: \{ price: '<new name>' \}/)
    await alterTable(db(), next, { rename: { price: 'amount' } })
    expect(await versions('alter_rename', ['sku', 'amount', 'effective', 'system'])).toEqual(before)
    const repo = bitemporal(db(), next)
    expect((await repo.timeline({ sku: 'A' }, { knownAt })).map((version) => version.values)).toEqual(past.map((version) => ({ amount: version.values['price'] })))
    await writeOnEveryConnection(next, { amount: '3.00' })
    const registered = await sql<{ value_columns: string[] }>`select value_columns from bitemporal.versioned_table where relation = 'alter_rename'::regclass`.execute(db())
    expect(registered.rows).toEqual([{ value_columns: ['amount'] }])
  })
  it('adds and renames on an audited, schema-qualified table with an entity table: the close columns stay guarded', async () => {
    await sql`create schema alter_billing`.execute(db())
    const options = { audit: true, entity: true }
    const definition = define('alter_billing.prices', { price: 'numeric not null' }, options)
    await createTable(db(), definition)
    const repo = bitemporal(db(), definition)
    const first = await repo.set({ sku: 'A' }, { from: '2024-01-01' }, { price: '1.00' }, { actor: 'alice' })
    await repo.update({ sku: 'A' }, { from: '2024-02-01' }, { price: '2.00' }, { actor: 'bob', reason: 'raise' })
    const columns = ['sku', 'price', 'recorded_by', 'recorded_reason', 'closed_by', 'closed_reason', 'effective', 'system']
    const before = await versions('alter_billing.prices', columns)
    const next = define('alter_billing.prices', { amount: 'numeric not null', note: 'text' }, options)
    await alterTable(db(), next, { rename: { price: 'amount' } })
    expect(await versions('alter_billing.prices', columns.map((column) => (column === 'price' ? 'amount' : column)))).toEqual(before)
    const altered = bitemporal(db(), next)
    expect((await altered.timeline({ sku: 'A' }, { knownAt: first.systemTime ?? '' })).map((version) => version.values)).toEqual([{ amount: '1.00', note: null }])
    await altered.update({ sku: 'A' }, { from: '2024-03-01' }, { note: 'n' }, { actor: 'carol' })
    expect((await altered.history({ sku: 'A' })).filter((version) => version.audit?.closedBy === 'carol')).toHaveLength(1)
    // Rewriting who closed a version is still refused.
    await expect(sql`update alter_billing.prices set closed_by = 'mallory' where closed_by = 'carol'`.execute(db())).rejects.toMatchObject({ code: 'BT001' })
  })
})

describe('writers during alterTable', () => {
  it('writers on every pooled connection, with the old definition, keep writing through a nullable add: none lost, none untyped', async () => {
    const definition = define('alter_busy', { net: 'integer not null' })
    await createTable(db(), definition)
    const writers = bitemporal(pool.db, definition)
    const keys = ['K1', 'K2', 'K3']
    for (const sku of keys) await writers.set({ sku }, { from: '2024-01-01' }, { net: 0 })
    let running = true
    const failures: unknown[] = []
    const written = new Map(keys.map((sku) => [sku, 0]))
    const loops = keys.map(async (sku) => {
      while (running) {
        const net = (written.get(sku) ?? 0) + 1
        try {
          await writers.set({ sku }, { from: '2024-01-01' }, { net })
          written.set(sku, net)
        } catch (error) {
          failures.push(error)
          return
        }
      }
    })
    // Let each writer get going, then change the table under them.
    while ([...written.values()].some((count) => count < 3)) await new Promise((resolve) => setTimeout(resolve, 5))
    await alterTable(db(), define('alter_busy', { net: 'integer not null', currency: 'text' }))
    const after = new Map(written)
    while (keys.some((sku) => (written.get(sku) ?? 0) < (after.get(sku) ?? 0) + 3) && failures.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    running = false
    await Promise.all(loops)
    expect(failures).toEqual([])
    // Every write is in the table: the current version holds the last value written, and each earlier one is a closed version.
    const repo = bitemporal(db(), define('alter_busy', { net: 'integer not null', currency: 'text' }))
    for (const sku of keys) {
      expect((await repo.asOf({ sku }, { validAt: '2024-06-01' }))?.values).toEqual({ net: written.get(sku), currency: null })
      const recorded = await sql<{ n: number }>`select count(*)::int as n from alter_busy where sku = ${sku}`.execute(db())
      expect(recorded.rows[0]?.n).toBe((written.get(sku) ?? 0) + 1)
    }
  })
})

describe('refused changes change nothing', () => {
  const base = { net: 'numeric(10,2) not null', qty: 'bigint', note: 'text' }
  beforeAll(async () => {
    await tableWithHistory('alter_refused', base, { net: '1.00', qty: 1, note: 'a' }, { net: '2.00', qty: 2, note: 'b' })
  })

  const refusals: [string, ReturnType<typeof define>, object | undefined, string, string | undefined][] = [
    ['dropping a value column', define('alter_refused', { net: 'numeric(10,2) not null', qty: 'bigint' }), undefined, 'drop', 'note'],
    ['narrowing bigint → integer', define('alter_refused', { ...base, qty: 'integer' }), undefined, 'narrow', 'qty'],
    ['narrowing numeric(10,2) → numeric(8,2)', define('alter_refused', { ...base, net: 'numeric(8,2) not null' }), undefined, 'narrow', 'net'],
    ['changing text → integer', define('alter_refused', { ...base, note: 'integer' }), undefined, 'type', 'note'],
    ['adding a key column', defineTable({ name: 'alter_refused', key: { sku: 'text', region: 'text' }, values: base }), undefined, 'key', undefined],
    ['retyping the key', defineTable({ name: 'alter_refused', key: { sku: 'varchar(20)' }, values: base }), undefined, 'key', 'sku'],
    ['changing valid time to timestamp', define('alter_refused', base, { effective: 'timestamp' }), undefined, 'valid-time', 'effective'],
    ['renaming the effective column', define('alter_refused', base, { effectiveColumn: 'valid' }), undefined, 'time-column', 'valid'],
    ['a not null column without a default', define('alter_refused', { ...base, currency: 'text not null' }), undefined, 'not-null-without-default', 'currency'],
    ['a rename of a column the table does not have', define('alter_refused', base), { rename: { nothing: 'net' } }, 'options', 'nothing'],
  ]

  it.each(refusals)('%s', async (_, next, options, change, column) => {
    const before = await catalog('alter_refused')
    const rows = await versions('alter_refused', ['sku', 'net', 'qty', 'note', 'effective', 'system'])
    const preview = await rejectsWithCode(() => alterTableSql(db(), next, options), 'SCHEMA_CHANGE_REFUSED')
    const error = await rejectsWithCode(() => alterTable(db(), next, options), 'SCHEMA_CHANGE_REFUSED')
    expect(error).toBeInstanceOf(SchemaChangeRefusedError)
    expect(error).toMatchObject({ table: 'alter_refused', change, column })
    expect(preview.message).toBe(error.message)
    expect(await catalog('alter_refused')).toEqual(before)
    expect(await versions('alter_refused', ['sku', 'net', 'qty', 'note', 'effective', 'system'])).toEqual(rows)
  })

  it('lists every refusal at once, and unknown or malformed options are INVALID_INPUT before anything is sent', async () => {
    const both = await rejectsWithCode(() => alterTable(db(), define('alter_refused', { net: 'numeric(10,2) not null', qty: 'integer' })), 'SCHEMA_CHANGE_REFUSED')
    if (!(both instanceof SchemaChangeRefusedError)) throw new Error('expected a SchemaChangeRefusedError')
    expect(both.refusals.map((refusal) => [refusal.change, refusal.column])).toEqual([
      ['drop', 'note'],
      ['narrow', 'qty'],
    ])
    const before = await catalog('alter_refused')
    for (const options of [{ renames: {} }, { rename: { note: 'bad name' } }, { defaults: { note: 'always' } }, { rename: 'note' }]) {
      await rejectsWithCode(() => alterTable(db(), define('alter_refused', base), options as never), 'INVALID_INPUT')
    }
    expect(await catalog('alter_refused')).toEqual(before)
  })
})
