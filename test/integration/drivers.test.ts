import { PGlite } from '@electric-sql/pglite'
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist'
import { type CompiledQuery, Kysely, PostgresDialect, sql } from 'kysely'
import { PGliteDialect } from 'kysely-pglite-dialect'
import { PostgresJSDialect } from 'kysely-postgres-js'
import pg from 'pg'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import {
  alterTable,
  type AnyKysely,
  bitemporal,
  createTable,
  type DatabaseInput,
  defineTable,
  ImmutableHistoryError,
  install,
  InvalidInputError,
  mapDatabaseError,
  OverlapError,
  type Repository,
  TableNeedsUpgradeError,
  upgradeTable,
  type Version,
} from '../../src/index.js'
import { createTestDatabase, type TestDatabase } from '../../src/testing/index.js'
import { instantToMicros, microsecondBefore, SYSTEM_TIME_FORMAT } from '../support/timeline-model.js'

// Issue 15, item 2: the same calls give the same rows and the same typed
// errors on every supported driver (docs/drivers.md): node-postgres through
// Kysely's PostgresDialect and as a bare pg.Pool, postgres.js through
// kysely-postgres-js (both on the test server), and PGlite in this process
// through kysely-pglite-dialect. Each gets a database of its own, installs
// the library's SQL, and runs the tax-rate story of docs/semantics.md §3
// row for row, then reads it back as known at each system time.

const taxRates = defineTable({
  name: 'tax_rates',
  key: { state_id: 'integer', tax_type: 'text' },
  values: { rate: 'numeric not null' },
})
const key = { state_id: 1, tax_type: 'income_tax' }

/** One driver: how to open it over a new database, and whether the library prepares named statements on it. */
interface Driver {
  readonly name: string
  /** Statements named `bitemporal_…` are prepared on it (node-postgres only). */
  readonly named: boolean
  /** `db` for install and raw SQL; `input` for the repository (the Kysely instance, or a pg.Pool). One connection, so that `pg_prepared_statements` sees the library's. */
  open(url: string, log: (query: CompiledQuery) => void): Promise<{ db: AnyKysely; input: DatabaseInput; close: () => Promise<void> }>
}

const logged = (log: (query: CompiledQuery) => void) => ({
  log: (event: { query: CompiledQuery }) => {
    log(event.query)
  },
})

const drivers: readonly Driver[] = [
  {
    name: 'node-postgres, PostgresDialect',
    named: true,
    open: async (url, log) => {
      const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }), ...logged(log) })
      return Promise.resolve({ db, input: db, close: () => db.destroy() })
    },
  },
  {
    // The repository gets the pool itself, so `log` sees only the test's own statements here.
    name: 'node-postgres, a pg.Pool',
    named: true,
    open: async (url, log) => {
      const pool = new pg.Pool({ connectionString: url, max: 1 })
      // install() and the raw SQL below take a Kysely instance; the repository gets the pool itself.
      const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }), ...logged(log) })
      return Promise.resolve({ db, input: pool, close: () => db.destroy() })
    },
  },
  {
    name: 'postgres.js, kysely-postgres-js',
    named: false,
    open: async (url, log) => {
      const db = new Kysely<unknown>({ dialect: new PostgresJSDialect({ postgres: postgres(url, { max: 1, onnotice: () => undefined }) }), ...logged(log) })
      return Promise.resolve({ db, input: db, close: () => db.destroy() })
    },
  },
  {
    name: 'PGlite, kysely-pglite-dialect',
    named: false,
    open: async (_url, log) => {
      const lite = await PGlite.create({ extensions: { btree_gist } })
      const db = new Kysely<unknown>({ dialect: new PGliteDialect(lite), ...logged(log) })
      return { db, input: db, close: () => db.destroy() }
    },
  },
]

/** The SQL text: on node-postgres the library's named statements travel in `sql` as objects whose `toString()` is the text. */
function textOf(query: CompiledQuery): string {
  const text: unknown = query.sql
  return String(text)
}

/** The parameters that are not text (or null): every driver sends text as it is. */
function nonTextParameters(queries: readonly CompiledQuery[]): { sql: string; parameter: unknown }[] {
  return queries.flatMap((query) =>
    query.parameters.filter((parameter) => parameter !== null && typeof parameter !== 'string').map((parameter) => ({ sql: textOf(query).slice(0, 120), parameter })),
  )
}

describe.each(drivers)('$name', (driver) => {
  let server: TestDatabase | undefined
  let db: AnyKysely
  let repository: Repository<typeof taxRates>
  let close: (() => Promise<void>) | undefined
  const sent: CompiledQuery[] = []
  /** T1…T4: the systemTime each step of the story returned. */
  const systemTimes: string[] = []

  beforeAll(async () => {
    // PGlite runs in this process; the others get a database of their own on the test server.
    const url = driver.name.startsWith('PGlite') ? '' : (server = await createTestDatabase({ url: inject('bitemporalTestUrl'), prefix: 'bitemporal_drivers' })).url
    const opened = await driver.open(url, (query) => sent.push(query))
    db = opened.db
    close = opened.close
    await install(db)
    await createTable(db, taxRates)
    // From here on, only the library's statements: install() ran Kysely's Migrator, whose own queries send numbers and booleans.
    sent.length = 0
    repository = bitemporal(opened.input, taxRates)
  })

  afterAll(async () => {
    await close?.()
    await server?.drop()
  })

  const systemName = (instant: string | null): string | null => {
    if (instant === null) return null
    const index = systemTimes.indexOf(instant)
    return index < 0 ? `not a write's systemTime: ${instant}` : `T${index + 1}`
  }
  const rows = (versions: readonly Version<typeof taxRates>[]): (string | null)[][] =>
    versions.map((v) => [v.values.rate, v.effective.from, v.effective.to, systemName(v.system.from), systemName(v.system.to)])
  const T = (n: 1 | 2 | 3 | 4): string => systemTimes[n - 1] ?? `T${n} was not recorded (an earlier step failed)`

  it('installs the library SQL (every file one statement per query) and runs the tax-rate story row for row', async () => {
    const steps = [
      { from: '2023-01-01', rate: '0.15', closed: 0, inserted: 1 },
      { from: '2023-01-01', rate: '0.19', closed: 1, inserted: 1 },
      { from: '2022-12-01', rate: '0.14', closed: 0, inserted: 1 },
      { from: '2023-02-01', rate: '0.25', closed: 1, inserted: 2 },
    ]
    for (const step of steps) {
      const result = await repository.set(key, { from: step.from }, { rate: step.rate })
      expect({ closed: result.closed, inserted: result.inserted }).toEqual({ closed: step.closed, inserted: step.inserted })
      expect(result.systemTime).toMatch(SYSTEM_TIME_FORMAT)
      const previous = systemTimes.at(-1)
      if (previous !== undefined) expect(instantToMicros(String(result.systemTime))).toBeGreaterThan(instantToMicros(previous))
      systemTimes.push(String(result.systemTime))
    }
    expect(rows(await repository.history(key))).toEqual([
      ['0.15', '2023-01-01', null, 'T1', 'T2'],
      ['0.19', '2023-01-01', null, 'T2', 'T4'],
      ['0.14', '2022-12-01', '2023-01-01', 'T3', null],
      ['0.19', '2023-01-01', '2023-02-01', 'T4', null],
      ['0.25', '2023-02-01', null, 'T4', null],
    ])
  })

  it('answers asOf with knownAt to the microsecond: T1 0.15, T2 0.19, 1 µs before T1 nothing', async () => {
    const rateAt = async (validAt: string, knownAt?: string): Promise<string | undefined> =>
      (await repository.asOf(key, knownAt === undefined ? { validAt } : { validAt, knownAt }))?.values.rate
    expect(await rateAt('2023-05-01')).toBe('0.25')
    expect(await rateAt('2022-11-30')).toBeUndefined()
    expect(await rateAt('2023-01-15', T(1))).toBe('0.15')
    expect(await rateAt('2023-01-15', T(2))).toBe('0.19')
    expect(await rateAt('2023-01-15', microsecondBefore(T(1)))).toBeUndefined()
    expect([await rateAt('2022-12-15', T(3)), await rateAt('2023-02-15', microsecondBefore(T(4))), await rateAt('2023-02-15', T(4))]).toEqual(['0.14', '0.19', '0.25'])
  })

  it('gives the timeline known at each system time, and 1 µs before it the one before', async () => {
    const expected: Record<1 | 2 | 3 | 4, (string | null)[][]> = {
      1: [['0.15', '2023-01-01', null, 'T1', null]],
      2: [['0.19', '2023-01-01', null, 'T2', 'T4']],
      3: [
        ['0.14', '2022-12-01', '2023-01-01', 'T3', null],
        ['0.19', '2023-01-01', null, 'T2', 'T4'],
      ],
      4: [
        ['0.14', '2022-12-01', '2023-01-01', 'T3', null],
        ['0.19', '2023-01-01', '2023-02-01', 'T4', null],
        ['0.25', '2023-02-01', null, 'T4', null],
      ],
    }
    for (const n of [1, 2, 3, 4] as const) {
      // The versions as they are now: T1's was closed at T2, so its system range ends there.
      const known = rows(await repository.timeline(key, { knownAt: T(n) }))
      expect(known.map((row) => row.slice(0, 4)), `known at T${n}`).toEqual(expected[n].map((row) => row.slice(0, 4)))
      const before = rows(await repository.timeline(key, { knownAt: microsecondBefore(T(n)) }))
      expect(before.map((row) => row.slice(0, 4)), `1 µs before T${n}`).toEqual(n === 1 ? [] : expected[(n - 1) as 1 | 2 | 3].map((row) => row.slice(0, 4)))
    }
    expect(rows(await repository.timeline(key))).toEqual(expected[4])
  })

  it('streams the history through a cursor in batches, the same versions as history()', async () => {
    const streamed: Version<typeof taxRates>[] = []
    for await (const version of repository.streamHistory(key, { batchSize: 2 })) streamed.push(version)
    expect(streamed).toEqual(await repository.history(key))
  })

  it('writes two keys in one transaction at one system time', async () => {
    const [vat, excise] = [{ state_id: 2, tax_type: 'vat' }, { state_id: 2, tax_type: 'excise' }]
    const results = await repository.transaction(async (trx) => [
      await trx.set(vat, { from: '2023-01-01' }, { rate: '0.2' }),
      await trx.set(excise, { from: '2023-01-01', to: '2024-01-01' }, { rate: '0.05' }),
    ])
    expect(results[0]?.systemTime).toMatch(SYSTEM_TIME_FORMAT)
    expect(results[1]?.systemTime).toBe(results[0]?.systemTime)
    expect((await repository.asOf(excise, { validAt: '2023-06-01' }))?.values.rate).toBe('0.05')
  })

  it('raises the same typed errors: overlap, bad input (nothing sent), and the SQLSTATE of an error the driver raised', async () => {
    const before = await repository.history(key)
    await expect(repository.insert(key, { from: '2023-01-01' }, { rate: '1' })).rejects.toBeInstanceOf(OverlapError)
    const sentBefore = sent.length
    await expect(repository.set(key, { from: '2023-02-30' }, { rate: '1' })).rejects.toBeInstanceOf(InvalidInputError)
    expect(sent.length).toBe(sentBefore)
    // load() meets the overlap in the exclusion constraint: the driver's own error, mapped.
    const loaded = repository.load([{ key, effective: { from: '2023-03-01', to: '2023-04-01' }, values: { rate: '9' } }])
    await expect(loaded).rejects.toMatchObject({ constructor: OverlapError, sqlState: '23P01', constraint: 'tax_rates_no_overlap' })
    // The history guard's own SQLSTATE (BT001), however the driver carries it.
    const mapped = await sql`delete from tax_rates`.execute(db).then(
      () => undefined,
      (error: unknown) => mapDatabaseError(error),
    )
    expect(mapped).toBeInstanceOf(ImmutableHistoryError)
    expect(mapped?.sqlState).toBe('BT001')
    expect(await repository.history(key)).toEqual(before)
  })

  it('sends every parameter as text, and prepares named statements on node-postgres only', async () => {
    expect(sent.length).toBeGreaterThan(0)
    expect(nonTextParameters(sent)).toEqual([])
    const { rows: prepared } = await sql<{ statements: number }>`
      select count(*)::int as statements from pg_prepared_statements where name like 'bitemporal\_%'`.execute(db)
    expect(prepared[0]?.statements ?? 0).toSatisfy((count: number) => (driver.named ? count > 0 : count === 0))
  })

  it('changes a table with history: alterTable adds and widens, a plain ADD COLUMN waits for upgradeTable, history reads as before', async () => {
    const before = defineTable({ name: 'driver_prices', key: { sku: 'text' }, values: { price: 'numeric(10,2) not null', qty: 'integer' } })
    await createTable(db, before)
    const first = await bitemporal(db, before).set({ sku: 'A' }, { from: '2024-01-01' }, { price: '9.99', qty: 1 })
    await bitemporal(db, before).set({ sku: 'A' }, { from: '2024-06-01' }, { price: '12.50', qty: 2 })

    const widened = defineTable({ name: 'driver_prices', key: { sku: 'text' }, values: { price: 'numeric(10,2) not null', qty: 'bigint', note: 'text' } })
    await alterTable(db, widened)
    const repo = bitemporal(db, widened)
    expect((await repo.asOf({ sku: 'A' }, { validAt: '2024-07-01', knownAt: String(first.systemTime) }))?.values).toEqual({ price: '9.99', qty: '1', note: null })
    await repo.set({ sku: 'A' }, { from: '2024-09-01' }, { price: '13.00', qty: '3', note: 'autumn' })

    await sql`alter table driver_prices add column region text`.execute(db)
    await expect(repo.set({ sku: 'A' }, { from: '2024-10-01' }, { price: '14.00', qty: '4', note: null })).rejects.toBeInstanceOf(TableNeedsUpgradeError)
    const withRegion = defineTable({ name: 'driver_prices', key: { sku: 'text' }, values: { price: 'numeric(10,2) not null', qty: 'bigint', note: 'text', region: 'text' } })
    await upgradeTable(db, withRegion)
    await bitemporal(db, withRegion).set({ sku: 'A' }, { from: '2024-10-01' }, { price: '14.00', qty: '4', note: null, region: 'eu' })
    expect((await bitemporal(db, withRegion).timeline({ sku: 'A' })).map((version) => version.values.price)).toEqual(['9.99', '12.50', '13.00', '14.00'])
  })
})
