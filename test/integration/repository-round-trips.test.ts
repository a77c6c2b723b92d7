import { sql } from 'kysely'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConflictError, NotFoundError, OverlapError } from '../../src/errors/errors.js'
import { install } from '../../src/install/install.js'
import { readStatements } from '../../src/read/read-sql.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import type { Repository } from '../../src/repository/repository.js'
import { tableSqlContext } from '../../src/statement/table-sql-context.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { transaction } from '../../src/transaction/transaction.js'
import type { WriteOperation } from '../../src/write/write-operation.js'
import { writeSql } from '../../src/write/write-sql.js'
import { type CountingPool, countingPool, statementKind } from '../support/counting-pool.js'
import { useTestDatabase } from '../support/database.js'
import { diagnostic } from '../support/diagnostic.js'

// "Each one SQL statement (one round trip)": counted where it matters, at
// the driver. Every pg client of the pool records the queries it sends.

const database = useTestDatabase()

const taxRates = defineTable({
  name: 'tax_rates',
  key: { state_id: 'integer', tax_type: 'text' },
  values: { rate: 'numeric not null', note: 'text' },
})
type TaxRates = typeof taxRates

let counting: CountingPool

beforeAll(async () => {
  await install(database().db)
  await createTable(database().db, taxRates)
  counting = countingPool({ connectionString: database().url, max: 3 })
})

afterAll(async () => {
  await counting.end()
})

/** Runs `run` and expects it to send exactly the statements whose first words are `kinds`. */
async function expectSent<T>(kinds: readonly string[], run: () => Promise<T>): Promise<T> {
  const { sent, result } = await counting.count(run)
  expect(sent.map(statementKind)).toEqual(kinds)
  return result
}

/** Like {@link expectSent} for a call that must reject; returns the error. */
async function expectSentAndRejected(kinds: readonly string[], run: () => Promise<unknown>): Promise<unknown> {
  const before = counting.queries.length
  let error: unknown
  try {
    await run()
  } catch (caught) {
    error = caught
  }
  expect(error).toBeDefined()
  expect(counting.queries.slice(before).map(statementKind)).toEqual(kinds)
  return error
}

const inputs: readonly { name: string; repository: () => Repository<TaxRates>; state: number }[] = [
  { name: 'a pg.Pool', repository: () => bitemporal(counting.pool, taxRates), state: 1 },
  { name: 'a Kysely instance over the pool', repository: () => bitemporal(counting.db, taxRates), state: 2 },
]

describe.each(inputs)('over $name', ({ repository, state }) => {
  const key = { state_id: state, tax_type: 'income_tax' }

  it('every write outside a transaction is one statement', async () => {
    const repo = repository()
    const one = ['with']
    const inserted = await expectSent(one, () => repo.insert(key, { from: '2023-01-01', to: '2023-02-01' }, { rate: '0.1' }))
    expect(inserted.systemTime).not.toBeNull()
    await expectSent(one, () => repo.set(key, { from: '2023-02-01', to: '2023-03-01' }, { rate: '0.2' }))
    await expectSent(one, () => repo.set(key, { from: '2023-03-01' }, { rate: '0.3' }))
    await expectSent(one, () => repo.update(key, { from: '2023-01-15', to: '2023-02-15' }, { note: 'patched' }))
    await expectSent(one, () => repo.correct(key, { at: '2023-03-15' }, { rate: '0.31' }))
    await expectSent(one, () => repo.delete(key, { from: '2023-06-01', to: '2023-07-01' }))
    await expectSent(one, () => repo.delete(key, { from: '2024-01-01' }))

    // Writes that change nothing: still one statement, and they say so.
    expect(await expectSent(one, () => repo.set(key, { from: '2023-03-01', to: '2023-04-01' }, { rate: '0.31' }))).toMatchObject({ systemTime: null })
    expect(await expectSent(one, () => repo.update(key, { from: '2023-06-01', to: '2023-07-01' }, { rate: '9' }))).toMatchObject({ systemTime: null })
    expect(await expectSent(one, () => repo.delete(key, { from: '2030-01-01' }))).toMatchObject({ systemTime: null })

    // The answers that are errors come from the same single statement.
    expect(await expectSentAndRejected(one, () => repo.insert(key, { from: '2023-01-01' }, { rate: '1' }))).toBeInstanceOf(OverlapError)
    expect(await expectSentAndRejected(one, () => repo.correct(key, { at: '2023-06-15' }, { rate: '1' }))).toBeInstanceOf(NotFoundError)
    expect(
      await expectSentAndRejected(one, () => repo.set(key, { from: '2023-01-01' }, { rate: '1' }, { expect: '2000-01-01T00:00:00Z' })),
    ).toBeInstanceOf(ConflictError)
    // A bad argument sends nothing.
    await expectSentAndRejected([], () => repo.set(key, { from: '2023-02-30', to: '2023-03-01' }, { rate: '1' }))
  })

  it('every read is one statement', async () => {
    const repo = repository()
    const readKey = { state_id: state, tax_type: 'vat' }
    const { systemTime } = await repo.set(readKey, { from: '2023-01-01' }, { rate: '0.2' })
    const knownAt = String(systemTime)
    const one = ['select']
    expect(await expectSent(one, () => repo.asOf(readKey, { validAt: '2023-05-01' }))).toMatchObject({ values: { rate: '0.2' } })
    expect(await expectSent(one, () => repo.asOf(readKey))).toBeDefined()
    expect(await expectSent(one, () => repo.asOf(readKey, { validAt: '2023-05-01', knownAt }))).toBeDefined()
    expect(await expectSent(one, () => repo.timeline(readKey))).toHaveLength(1)
    expect(await expectSent(one, () => repo.timeline(readKey, { knownAt }))).toHaveLength(1)
    expect(await expectSent(one, () => repo.history(readKey))).toHaveLength(1)
    expect(await expectSent(one, () => repo.lastChange(readKey))).toBe(knownAt)
    // A key with nothing recorded is still one statement.
    expect(await expectSent(one, () => repo.lastChange({ state_id: state, tax_type: 'none' }))).toBeNull()
  })

  it('a transaction with three writes is BEGIN + 3 + COMMIT', async () => {
    const repo = repository()
    const k = { state_id: state, tax_type: 'transaction' }
    const writes = (r: Repository<TaxRates>) => async () => {
      await r.set(k, { from: '2023-01-01' }, { rate: '1' })
      await r.update(k, { from: '2023-02-01', to: '2023-03-01' }, { rate: '2' })
      await r.delete(k, { from: '2023-06-01' })
    }
    const five = ['begin', 'with', 'with', 'with', 'commit']
    await expectSent(five, () => repo.transaction((r) => writes(r)()))
    await expectSent(five, () => transaction(counting.pool, (trx) => writes(repo.with(trx))()))
    await expectSent(five, () => counting.db.transaction().execute((trx) => writes(repo.with(trx))()))
    // An isolation level changes only the first statement.
    await expectSent(['start', 'with', 'with', 'with', 'commit'], () =>
      repo.transaction((r) => writes(r)(), { isolationLevel: 'repeatable read' }),
    )
  })
})

describe('the write statement on a table of ~20,000 rows uses indexes', () => {
  const bigRates = defineTable({
    name: 'big_rates',
    key: { state_id: 'integer', tax_type: 'text' },
    values: { rate: 'numeric not null', note: 'text' },
  })
  const context = tableSqlContext(bigRates)

  beforeAll(async () => {
    const db = database().db
    await createTable(db, bigRates)
    // 2,000 keys (x 2 tax types) with 5 versions each, written twice: half the rows are history.
    await sql`
      insert into big_rates (state_id, tax_type, rate, effective)
      select s, t, 0.1, daterange(date '2020-01-01' + v * 90, date '2020-01-01' + (v + 1) * 90)
      from generate_series(1, 1000) s, unnest(array['income_tax', 'vat']) t, generate_series(0, 4) v`.execute(db)
    await sql`
      update big_rates set system = tsrange(lower(system), bitemporal.system_time()) where upper_inf(system);
      insert into big_rates (state_id, tax_type, rate, effective)
      select s, t, 0.2, daterange(date '2020-01-01' + v * 90, date '2020-01-01' + (v + 1) * 90)
      from generate_series(1, 1000) s, unnest(array['income_tax', 'vat']) t, generate_series(0, 4) v`.execute(db)
    await sql`analyze big_rates`.execute(db)
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from big_rates`.execute(db)
    expect(rows[0]?.n).toBe(20_000)
  })

  interface PlanNode {
    readonly 'Node Type': string
    readonly Operation?: string
    readonly 'Relation Name'?: string
    readonly 'Index Name'?: string
    readonly Plans?: readonly PlanNode[]
  }

  function nodes(plan: PlanNode): PlanNode[] {
    return [plan, ...(plan.Plans ?? []).flatMap(nodes)]
  }

  /**
   * The nodes that read or change big_rates, as "Index Scan using
   * big_rates_current", "Bitmap Heap Scan (big_rates_no_overlap)", "Tid Scan",
   * "ModifyTable Update", …
   */
  function scans(plan: PlanNode): string[] {
    return nodes(plan)
      .filter((n) => n['Relation Name'] === 'big_rates')
      .map((n) => {
        const bitmapIndexes = n['Node Type'] === 'Bitmap Heap Scan' ? nodes(n).flatMap((c) => c['Index Name'] ?? []) : []
        return [
          n['Node Type'],
          n.Operation ?? '',
          n['Index Name'] === undefined ? '' : `using ${n['Index Name']}`,
          bitmapIndexes.length === 0 ? '' : `(${bitmapIndexes.join(' + ')})`,
        ]
          .filter((part) => part !== '')
          .join(' ')
      })
  }

  /** The plan for these parameter values (what an unnamed statement gets: a custom plan). */
  async function explainCustom(client: pg.PoolClient, text: string, parameters: readonly unknown[]): Promise<PlanNode> {
    const result = await client.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(`explain (format json) ${text}`, [...parameters])
    const plan = result.rows[0]?.['QUERY PLAN'][0]?.Plan
    if (plan === undefined) throw new Error('explain returned no plan')
    return plan
  }

  /** The generic plan a reused prepared statement gets: PREPARE, then EXPLAIN EXECUTE under force_generic_plan. */
  async function explainGeneric(client: pg.PoolClient, text: string, parameters: readonly unknown[]): Promise<{ plan: PlanNode; json: string }> {
    const literal = (value: unknown): string => {
      if (value === null) return 'null'
      if (typeof value === 'boolean') return String(value)
      if (typeof value === 'string') return client.escapeLiteral(value)
      throw new Error(`no literal for ${typeof value}`)
    }
    await client.query('set plan_cache_mode = force_generic_plan')
    await client.query(`prepare explained as ${text}`)
    try {
      const result = await client.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
        `explain (format json) execute explained(${parameters.map(literal).join(', ')})`,
      )
      const plan = result.rows[0]?.['QUERY PLAN'][0]?.Plan
      if (plan === undefined) throw new Error('explain returned no plan')
      return { plan, json: JSON.stringify(plan) }
    } finally {
      await client.query('deallocate explained')
      await client.query('reset plan_cache_mode')
    }
  }

  const key = ['500', 'vat']
  // Parameters as the repository sends them: key, target, expect, then (present, value) per value column.
  // A non-null expect keeps the optimistic check's subquery in the plan.
  const expect_ = '2000-01-01T00:00:00Z'
  const values = (rate: string | null, note: string | null): unknown[] => [rate !== null, rate, note !== null, note]
  const operations: readonly { operation: WriteOperation; parameters: readonly unknown[] }[] = [
    { operation: 'insert', parameters: [...key, '[2030-01-01,2030-02-01)', expect_, ...values('0.3', null)] },
    { operation: 'set', parameters: [...key, '[2020-02-01,2020-05-01)', expect_, ...values('0.3', null)] },
    { operation: 'setFrom', parameters: [...key, '2020-02-01', expect_, ...values('0.3', null)] },
    { operation: 'update', parameters: [...key, '[2020-02-01,2020-05-01)', expect_, ...values('0.3', null)] },
    { operation: 'correct', parameters: [...key, '2020-02-01', expect_, ...values(null, 'n')] },
    { operation: 'delete', parameters: [...key, '[2020-02-01,)', expect_, ...values(null, null)] },
  ]

  it.each(operations)('$operation: no sequential scan of the versions table (custom and generic plan)', async ({ operation, parameters }) => {
    const text = writeSql(context, operation)
    const client = await counting.pool.connect()
    try {
      const custom = scans(await explainCustom(client, text, parameters))
      const { plan, json } = await explainGeneric(client, text, parameters)
      // Generic: the conditions still name the parameters.
      expect(json).toContain('$1')
      const generic = scans(plan)
      diagnostic(`EXPLAIN ${operation} on 20,000 rows: custom plan [${custom.join(', ')}]; generic plan [${generic.join(', ')}]`)
      for (const scan of [...custom, ...generic]) expect(scan).not.toMatch(/^Seq Scan/)
      expect(custom.length).toBeGreaterThan(0)
    } finally {
      client.release()
    }
  })

  it('the reads use indexes too', async () => {
    const reads = readStatements(context)
    const knownAt = '2030-01-01T00:00:00Z'
    const cases: readonly [string, string, readonly unknown[]][] = [
      ['asOf (current)', reads.asOfCurrent, [...key, '2020-03-01']],
      ['asOf (knownAt)', reads.asOfKnown, [...key, '2020-03-01', knownAt]],
      ['timeline (current)', reads.timelineCurrent, key],
      ['timeline (knownAt)', reads.timelineKnown, [...key, knownAt]],
      ['history', reads.history, key],
      ['lastChange', reads.lastChange, key],
    ]
    const client = await counting.pool.connect()
    try {
      for (const [name, text, parameters] of cases) {
        const shape = scans(await explainCustom(client, text, parameters))
        diagnostic(`EXPLAIN ${name} on 20,000 rows: [${shape.join(', ')}]`)
        for (const scan of shape) expect(scan, name).not.toMatch(/^Seq Scan/)
      }
    } finally {
      client.release()
    }
  })
})
