import { CompiledQuery, sql } from 'kysely'
import type { AnyKysely } from '../src/any-kysely.js'
import { install } from '../src/install/index.js'
import { type AggregateFilter, encodeAggregate } from '../src/read/aggregate/aggregate-options.js'
import { aggregateSql } from '../src/read/aggregate/aggregate-sql.js'
import { bitemporal } from '../src/repository/bitemporal.js'
import { tableSqlContext } from '../src/statement/table-sql-context.js'
import { createTable, defineTable } from '../src/schema/index.js'
import { measureAlternating, type Timings } from './measure.js'

/** The temporal table of the analytics bench: 100,000 subscriptions × 10 versions. */
export const analyticsSubscriptions = defineTable({
  name: 'analytics_subscriptions',
  key: { id: 'integer' },
  values: { status: 'text not null', plan: 'text not null', mrr: 'numeric(10,2) not null' },
})

const KEYS = 100_000
const VERSIONS = 10
/** The one-year window every measured aggregate covers. */
const WINDOW = { validFrom: '2024-01-01', validTo: '2025-01-01' } as const

/** What {@link benchAggregate} measured, and its section of docs/read-plans.md. */
export interface AggregateBenchResult {
  readonly rows: number
  readonly steps: number
  readonly timings: readonly Timings[]
  /** The aggregate's median over the plain count's: the target is at most 3. */
  readonly ratio: number
  readonly plan: string
  readonly markdown: string
}

/**
 * Issue 18's aggregate target at 1M versions: `repo.aggregate` with a
 * `where`, `count` and `sum` over a one-year window, against a plain
 * `select count(*) … where status = 'active'` over a plain table of the
 * same rows; within 3× is the target. Loads both tables, times them
 * alternately on one connection, and EXPLAINs (ANALYZE, BUFFERS) the
 * aggregate's statement.
 *
 * Rows: key `g % 100k`, version `g / 100k`, 40-day versions from
 * 2023-12-01 shifted by `key % 30` days (the last open-ended), so the
 * window has a boundary on most days; 80% 'active'; all current.
 *
 * @example
 * const result = await benchAggregate(db, console.log)
 * console.log(result.markdown)
 */
export async function benchAggregate(db: AnyKysely, log: (message: string) => void): Promise<AggregateBenchResult> {
  await install(db)
  await createTable(db, analyticsSubscriptions)
  const started = process.hrtime.bigint()
  const total = KEYS * VERSIONS
  await sql
    .raw(
      `alter table analytics_subscriptions disable trigger analytics_subscriptions_check_inserted_system;
    insert into analytics_subscriptions (id, status, plan, mrr, effective, system)
    select g % ${String(KEYS)}, case when (g * 7) % 10 < 8 then 'active' else 'paused' end, (array['basic', 'pro', 'team'])[1 + g % 3], 10 + g % 90,
           daterange(date '2023-12-01' + (g % ${String(KEYS)}) % 30 + (g / ${String(KEYS)}) * 40,
                     case when g / ${String(KEYS)} < ${String(VERSIONS - 1)} then date '2023-12-01' + (g % ${String(KEYS)}) % 30 + (g / ${String(KEYS)} + 1) * 40 end),
           tsrange(timestamp '2024-01-01' + g * interval '1 second', null)
    from generate_series(0, ${String(total - 1)}) as g;
    alter table analytics_subscriptions enable trigger analytics_subscriptions_check_inserted_system;
    create table analytics_plain as select id, status, plan, mrr, effective from analytics_subscriptions;
    analyze analytics_subscriptions;
    analyze analytics_plain;`,
    )
    .execute(db)
  log(`loaded ${String(total)} versions and the plain table in ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s`)

  const repo = bitemporal(db, analyticsSubscriptions)
  const active: AggregateFilter = (eb) => eb('status', '=', 'active')
  const options = { ...WINDOW, where: active, count: true, sum: 'mrr' } as const
  const steps = (await repo.aggregate(options)).length
  const plainCount = sql`select count(*) from analytics_plain where status = 'active'`
  const timings = await measureAlternating(
    [
      { name: `plain count(*) where status = 'active'`, run: () => plainCount.execute(db).then(() => undefined) },
      { name: 'repo.aggregate (where, count, sum, one year)', run: () => repo.aggregate(options).then(() => undefined) },
    ],
    { warmup: 2, rounds: 5, operations: 3 },
  )
  const [plain, aggregated] = timings
  const ratio = (aggregated?.medianUs ?? Number.NaN) / (plain?.medianUs ?? Number.NaN)
  const compiled = aggregateSql(db, tableSqlContext(analyticsSubscriptions), encodeAggregate(tableSqlContext(analyticsSubscriptions), options)).compile(db)
  const explained = await db.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain (analyze, buffers) ${compiled.sql}`, [...compiled.parameters]))
  const plan = explained.rows.map((row) => row['QUERY PLAN']).join('\n')
  const plainPlan = (await sql<{ 'QUERY PLAN': string }>`explain (analyze, buffers) select count(*) from analytics_plain where status = 'active'`.execute(db)).rows
    .map((row) => row['QUERY PLAN'])
    .join('\n')
  return { rows: total, steps, timings, ratio, plan, markdown: markdown(total, steps, timings, ratio, compiled, plan, plainPlan) }
}

function markdown(rows: number, steps: number, timings: readonly Timings[], ratio: number, compiled: CompiledQuery, plan: string, plainPlan: string): string {
  const ms = (us: number): string => (us / 1000).toFixed(1)
  return `## aggregate: a step function over a year, with where, count and sum

\`npm run bench:analytics\`: ${String(rows)} versions (100,000 keys × 10, all current), a one-year window, \`where: (eb) => eb('status', '=', 'active')\`, \`count: true\`, \`sum: 'mrr'\`: ${String(steps)} steps. Target: within 3× a plain \`count(*)\` with the same filter over a plain table of the same rows (no system time, no indexes).

| read | median ms | p90 ms |
|---|---|---|
${timings.map((timing) => `| ${timing.name} | ${ms(timing.medianUs)} | ${ms(timing.p90Us)} |`).join('\n')}

Ratio: **${ratio.toFixed(2)}×** (target ≤ 3×).

The statement (parameters: ${compiled.parameters.map((parameter) => `\`${String(parameter)}\``).join(', ')}):

\`\`\`sql
${compiled.sql}
\`\`\`

Its plan (EXPLAIN ANALYZE, BUFFERS): one scan of the table; the boundaries of every version meet in a hash aggregate by day, so the sorts and window functions after it work on a few hundred rows, not a million.

\`\`\`
${plan}
\`\`\`

The plain count's plan:

\`\`\`
${plainPlan}
\`\`\`
`
}
