import { type Kysely, sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { install } from '../../src/install/install.js'
import { changesStatements } from '../../src/read/changes-sql.js'
import { combineTimelinesSql } from '../../src/read/combine-timelines-sql.js'
import { timelineStatements } from '../../src/read/timeline-sql.js'
import { tableSqlContext } from '../../src/statement/table-sql-context.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'

// Issue 4: "every read must use an index (show EXPLAIN in a test)". The
// exact statements of changes, the windowed and coalesced timeline and
// combineTimelines, planned by PostgreSQL on 200k rows, as custom plans and
// as the generic plans a prepared statement switches to after five runs.

const database = useTestDatabase()

const ledger = defineTable({ name: 'ledger', key: { account_id: 'integer' }, values: { amount: 'numeric not null' } })
const context = tableSqlContext(ledger)
const ACCOUNTS = 20_000
const VERSIONS = 10

/** Where row g of the generated history starts in system time: one row every 10 s from here. */
const BASE = '2024-01-01T00:00:00Z'
const secondsAfterBase = (seconds: number): string => new Date(Date.parse(BASE) + seconds * 1000).toISOString()

interface Plan {
  readonly nodes: readonly string[]
  readonly indexes: readonly string[]
  /** The index conditions of every index scan. */
  readonly conditions: readonly string[]
  readonly text: string
}

interface PlanNode {
  readonly 'Node Type': string
  readonly 'Index Name'?: string
  readonly 'Index Cond'?: string
  readonly 'Relation Name'?: string
  readonly Plans?: readonly PlanNode[]
}

function literal(value: string | number | null): string {
  if (value === null) return 'null'
  return typeof value === 'number' ? String(value) : `'${value.replaceAll("'", "''")}'`
}

/**
 * The plan of `text` as a prepared statement executed with `parameters`,
 * through the plan cache, so that `plan_cache_mode` decides custom or generic.
 */
async function plan(text: string, parameters: readonly (string | number | null)[], mode: 'custom' | 'generic'): Promise<Plan> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- one connection for prepare, explain and deallocate
  return database().db.connection().execute(async (connection: Kysely<any>) => {
    await sql.raw(`set plan_cache_mode = force_${mode}_plan`).execute(connection)
    await sql.raw(`prepare planned as ${text}`).execute(connection)
    try {
      const result = await sql.raw<{ 'QUERY PLAN': readonly { Plan: PlanNode }[] }>(
        `explain (format json) execute planned(${parameters.map(literal).join(', ')})`,
      ).execute(connection)
      const root = result.rows[0]?.['QUERY PLAN'][0]?.Plan
      if (root === undefined) throw new Error('no plan')
      const nodes: string[] = []
      const indexes: string[] = []
      const conditions: string[] = []
      const walk = (node: PlanNode): void => {
        nodes.push(node['Relation Name'] === undefined ? node['Node Type'] : `${node['Node Type']} on ${node['Relation Name']}`)
        if (node['Index Name'] !== undefined) indexes.push(node['Index Name'])
        if (node['Index Cond'] !== undefined) conditions.push(node['Index Cond'])
        node.Plans?.forEach(walk)
      }
      walk(root)
      const textPlan = await sql.raw<{ 'QUERY PLAN': string }>(`explain execute planned(${parameters.map(literal).join(', ')})`).execute(connection)
      return { nodes, indexes, conditions, text: textPlan.rows.map((r) => r['QUERY PLAN']).join('\n') }
    } finally {
      await sql.raw('deallocate planned; reset plan_cache_mode').execute(connection)
    }
  })
}

/**
 * The plan reads the table through indexes only, no sequential scan of
 * anything: for one key, each scan of the table descends by the key (the
 * planner may pick the GiST or the btree of current rows, and may AND in
 * another index); over all keys, through exactly the `expected` indexes.
 */
function expectIndexed(found: Plan, expected: 'by key' | readonly string[]): void {
  expect(found.nodes.filter((node) => node.startsWith('Seq Scan')), found.text).toEqual([])
  expect(found.indexes.length, found.text).toBeGreaterThan(0)
  if (expected === 'by key') {
    const scans = found.nodes.filter((node) => /^(Index Scan|Index Only Scan|Bitmap Heap Scan) on ledger$/.test(node))
    // A generic plan casts the text parameter: `account_id = ($1)::integer` (docs/drivers.md).
    const byKey = found.conditions.filter((condition) => /^\(*account_id = (\$\d+|\(\$\d+\)::integer|\d+)\)/.test(condition))
    expect(byKey.length, found.text).toBeGreaterThanOrEqual(scans.length)
  } else {
    expect([...new Set(found.indexes)].sort(), found.text).toEqual([...expected].sort())
  }
}

beforeAll(async () => {
  const db = database().db
  await install(db)
  await createTable(db, ledger)
  // 20k accounts x 10 versions with disjoint effective ranges; one row every
  // 10 s of system time over 23 days; even versions closed an hour later.
  // The insert trigger would refuse explicit system ranges: off for the load.
  await sql.raw(`
    alter table ledger disable trigger ledger_check_inserted_system;
    insert into ledger (account_id, amount, effective, system)
    select g % ${String(ACCOUNTS)}, g,
           daterange('2020-01-01'::date + (g / ${String(ACCOUNTS)}) * 30, case when g / ${String(ACCOUNTS)} < ${String(VERSIONS - 1)} then '2020-01-01'::date + (g / ${String(ACCOUNTS)} + 1) * 30 end),
           tsrange(timestamp '${BASE.slice(0, -1)}' + g * interval '10 seconds',
                   case when (g / ${String(ACCOUNTS)}) % 2 = 0 then timestamp '${BASE.slice(0, -1)}' + g * interval '10 seconds' + interval '1 hour' end)
    from generate_series(0, ${String(ACCOUNTS * VERSIONS - 1)}) as g;
    alter table ledger enable trigger ledger_check_inserted_system;
    analyze ledger;`).execute(db)
  const { rows } = await sql<{ count: string }>`select count(*)::text as count from ledger`.execute(db)
  expect(rows[0]?.count).toBe(String(ACCOUNTS * VERSIONS))
})

describe.each(['custom', 'generic'] as const)('%s plans on 200k rows use indexes', (mode) => {
  // One hour in the middle of the history: ~360 assertions and ~360 retractions of all keys.
  const since = secondsAfterBase(1_000_000)
  const until = secondsAfterBase(1_003_600)
  const statements = changesStatements(context)
  const timelines = timelineStatements(context)

  it('changes over all keys: the btree indexes on lower(system) and upper(system)', async () => {
    expectIndexed(await plan(statements.all, [since, until], mode), ['ledger_asserted', 'ledger_retracted'])
  })

  it('changes over all keys without until', async () => {
    expectIndexed(await plan(statements.all, [secondsAfterBase(1_990_000), null], mode), ['ledger_asserted', 'ledger_retracted'])
  })

  it('changes of one key, over all of history', async () => {
    expectIndexed(await plan(statements.key, [4242, BASE, null], mode), 'by key')
  })

  it('changes of one key, over one hour', async () => {
    expectIndexed(await plan(statements.key, [4242, since, until], mode), 'by key')
  })

  it('the windowed timeline, current and known at an instant', async () => {
    expectIndexed(await plan(timelines.windowCurrent, [4242, '2020-02-01', '2020-06-01'], mode), 'by key')
    expectIndexed(await plan(timelines.windowKnown, [4242, '2020-02-01', null, since], mode), 'by key')
  })

  it('the coalesced timeline, current and known at an instant', async () => {
    expectIndexed(await plan(timelines.coalescedCurrent, [4242, null, null], mode), 'by key')
    expectIndexed(await plan(timelines.coalescedKnown, [4242, '2020-02-01', '2020-06-01', since], mode), 'by key')
  })

  it('combineTimelines of two keys, current and known at an instant', async () => {
    expectIndexed(await plan(combineTimelinesSql(context, context, false), [1, 2, '2020-01-01', '2021-01-01'], mode), 'by key')
    expectIndexed(await plan(combineTimelinesSql(context, context, true), [1, 2, null, null, since], mode), 'by key')
  })
})
