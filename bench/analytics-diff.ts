/**
 * The restatement diff at 1M versions (100,000 keys × 10), issue 18's
 * targets: `diff` of one key within 2× that key's `timeline`; `diff` over
 * every key between two instants a day apart, with 1% of keys corrected
 * that day, within 10× a plain `count(*)` with a filter over a plain table
 * of the same rows, reading the btrees of changes rather than every
 * version. Times are medians of alternating runs on one connection
 * (measureAlternating); the plans are EXPLAIN (ANALYZE, BUFFERS) of the
 * statements the library sends. Run by `npm run bench:analytics`.
 */
import { type CompiledQuery, sql } from 'kysely'
import type { AnyKysely } from '../src/any-kysely.js'
import { bitemporal } from '../src/repository/bitemporal.js'
import { NamedStatement } from '../src/statement/named-statement.js'
import {
  CHANGED_KEY,
  DIFF_DAY,
  DIFF_NEXT_DAY,
  diffSubscriptions,
  loadDiffFixture,
  UNTOUCHED_KEY,
} from './analytics-diff-fixture.js'
import type { BenchConnection } from './bench-connection.js'
import { measureAlternating, type Timings } from './measure.js'

/** What the diff bench found: timings, the targets' ratios, and the plans of the two diffs. */
export interface DiffBenchReport {
  readonly timings: readonly Timings[]
  /** diff of one key / timeline of that key (target: at most 2). */
  readonly oneKeyRatio: number
  /** diff over every key, a day apart / plain count(*) (target: at most 10). */
  readonly allKeysRatio: number
  readonly allKeysRows: number
  readonly plans: readonly { readonly name: string; readonly sql: string; readonly parameters: readonly unknown[]; readonly plan: string }[]
}

/** The plain baseline: the same current rows, no system time, no index: a sequential scan, as the aggregate bench's baseline. */
const PLAIN_COUNT = `select count(*) from plain_subscriptions where status = 'active' and effective && daterange('2020-01-01', '2021-01-01')`

/** Loads the fixture in the bench's database and measures; `log` gets progress lines. */
export async function analyticsDiffBench(bench: BenchConnection, log: (message: string) => void): Promise<DiffBenchReport> {
  const started = process.hrtime.bigint()
  await loadDiffFixture(bench.db)
  log(`analytics diff: loaded 1,001,000 versions in ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s`)
  const repo = bitemporal(bench.db, diffSubscriptions)
  let allKeysRows = 0
  const timings = await measureAlternating(
    [
      {
        name: 'timeline, one key',
        run: async () => {
          await repo.timeline({ id: CHANGED_KEY })
        },
      },
      {
        name: 'diff, one key, since the day',
        run: async () => {
          await repo.diff({ before: DIFF_DAY, key: { id: CHANGED_KEY } })
        },
      },
      {
        name: 'diff, one untouched key, since the day',
        run: async () => {
          await repo.diff({ before: DIFF_DAY, key: { id: UNTOUCHED_KEY } })
        },
      },
      {
        name: 'plain count(*) with a filter',
        run: async () => {
          await sql.raw(PLAIN_COUNT).execute(bench.db)
        },
      },
      {
        name: 'diff, every key, a day apart',
        run: async () => {
          allKeysRows = (await repo.diff({ before: DIFF_DAY, after: DIFF_NEXT_DAY })).length
        },
      },
    ],
    { warmup: 6, rounds: 5, operations: 10 },
  )
  const median = (name: string): number => timings.find((timing) => timing.name === name)?.medianUs ?? Number.NaN
  const plans = [
    await planOf(bench, 'diff, one key, since the day', (db) => bitemporal(db, diffSubscriptions).diff({ before: DIFF_DAY, key: { id: CHANGED_KEY } })),
    await planOf(bench, 'diff, every key, a day apart', (db) => bitemporal(db, diffSubscriptions).diff({ before: DIFF_DAY, after: DIFF_NEXT_DAY })),
  ]
  return {
    timings,
    oneKeyRatio: median('diff, one key, since the day') / median('timeline, one key'),
    allKeysRatio: median('diff, every key, a day apart') / median('plain count(*) with a filter'),
    allKeysRows,
    plans,
  }
}

/** Runs the read once on the recording instance and EXPLAINs (ANALYZE, BUFFERS) the one statement it sent. */
async function planOf(bench: BenchConnection, name: string, read: (db: AnyKysely) => Promise<unknown>): Promise<DiffBenchReport['plans'][number]> {
  bench.recorded.length = 0
  await read(bench.recording)
  const [query] = bench.recorded
  if (query === undefined) throw new Error(`analytics diff: ${name} sent no statement`)
  const text = textOf(query)
  const { rows } = await bench.db.executeQuery<{ 'QUERY PLAN': string }>({
    ...query,
    sql: `explain (analyze, buffers) ${text}`,
  })
  return { name, sql: text, parameters: query.parameters, plan: rows.map((row) => row['QUERY PLAN']).join('\n') }
}

function textOf(query: CompiledQuery): string {
  const text: unknown = query.sql
  if (typeof text === 'string') return text
  if (text instanceof NamedStatement) return text.text
  throw new Error('analytics diff: a recorded query has neither text nor a named statement')
}

/** The report as Markdown: the targets, the timings, and each plan with its statement. */
export function formatDiffBench(report: DiffBenchReport): string {
  const milliseconds = (micros: number): string => (micros / 1000).toFixed(2)
  return [
    `- diff of one key / its timeline: ${report.oneKeyRatio.toFixed(2)}× (target: at most 2×)`,
    `- diff over every key, a day apart (${String(report.allKeysRows)} rows) / plain count(*): ${report.allKeysRatio.toFixed(2)}× (target: at most 10×)`,
    '',
    '| read | median ms | p90 ms |',
    '|---|--:|--:|',
    ...report.timings.map((timing) => `| ${timing.name} | ${milliseconds(timing.medianUs)} | ${milliseconds(timing.p90Us)} |`),
    '',
    ...report.plans.flatMap((plan) => [
      `### ${plan.name}`,
      '',
      `Parameters: \`${JSON.stringify(plan.parameters)}\``,
      '',
      '```sql',
      plan.sql,
      '```',
      '',
      '```',
      plan.plan,
      '```',
      '',
    ]),
  ].join('\n')
}
