import { PLANS } from './bench-plan.js'
import { COPY_NAME, LOAD_NAME } from './bulk-load.js'
import { NAMES } from './contenders.js'
import type { CommitFlushResult } from './commit-flush.js'
import type { BenchReport, GroupResult, ResultRow, Versus } from './report.js'

export const us = (value: number): string => value.toFixed(0)
export const times = (value: number): string => `${value.toFixed(2)}×`
export const verdict = (row: ResultRow): string =>
  row.target === undefined ? '' : `≤ ${row.target.toFixed(1)}× ${row.ratio <= row.target ? 'met' : 'NOT met'}`
const versusLine = (v: Versus): string =>
  `${v.name} ÷ ${v.of}: ${times(v.ratio)}${v.target === undefined ? '' : ` (target below ${times(v.target)}: ${v.ratio < v.target ? 'met' : 'NOT met'})`}`
const thousands = (value: number): string => Math.round(value).toLocaleString('en-US')

/** One comparison as a markdown table, with its note and its ratios between contenders. */
export function groupMarkdown(group: GroupResult, heading = '###'): string[] {
  const out = ['', `${heading} ${group.title}`, '']
  if (group.note !== undefined) out.push(group.note, '')
  out.push('| operation | median µs | p90 µs | round medians µs | ratio | target | ratio to prepared plain |', '|---|--:|--:|---|--:|---|--:|')
  for (const row of group.rows) {
    const cells = [row.name, us(row.medianUs), us(row.p90Us), row.roundMediansUs.map(us).join(', '), times(row.ratio), verdict(row), times(row.ratioPrepared)]
    out.push(`| ${cells.join(' | ')} |`)
  }
  for (const v of group.versus ?? []) out.push('', `${versusLine(v)}.`)
  return out
}

export function groupConsole(group: GroupResult): string[] {
  const lines = ['', `${group.title}: ratio against ${group.baseline} (and against ${group.prepared})`]
  const width = Math.max(...group.rows.map((row) => row.name.length))
  lines.push(`  ${'operation'.padEnd(width)}  median µs     p90 µs   ratio  prepared  target`)
  for (const row of group.rows) {
    const columns = [us(row.medianUs).padStart(9), us(row.p90Us).padStart(9), times(row.ratio).padStart(6), times(row.ratioPrepared).padStart(8)]
    lines.push(`  ${row.name.padEnd(width)}  ${columns.join('  ')}  ${verdict(row)}`)
  }
  for (const v of group.versus ?? []) lines.push(`  ${versusLine(v)}`)
  return lines
}

/** Every target of the issue, what was measured, and by how much it is met or missed. */
export function targetRows(report: BenchReport): TargetRow[] {
  const row = (group: GroupResult | undefined, name: string): ResultRow | undefined => group?.rows.find((r) => r.name === name)
  const [reads, writes] = report.groups
  const update = row(writes, NAMES.update)
  const asOf = row(reads, NAMES.asOf)
  const shortAsOf = report.historyLength.short.rows[2]
  const periods = writes?.versus?.find((v) => v.name === NAMES.update && v.of !== NAMES.floor)
  const writesTrips = report.roundTrips.filter((r) => r.target !== undefined)
  const { ratioOfRatios, target } = report.historyLength
  const rows: TargetRow[] = [
    { target: 'update ≤ 2× plain UPDATE by id', measured: update === undefined ? 'not run' : `${times(update.ratio)}${flushNote(report)}`, met: update === undefined ? null : update.ratio <= 2 },
    {
      target: `asOf ≤ 1.3× plain SELECT at ${String(report.data.entities)} × ${String(report.data.versionsPerEntity)}`,
      measured: asOf === undefined ? 'not run' : times(asOf.ratio),
      met: asOf === undefined ? null : asOf.ratio <= 1.3,
    },
    {
      target: `asOf ≤ 1.3× plain SELECT at ${String(report.plans.history.short.entities)} × ${String(report.plans.history.short.versions)}`,
      measured: shortAsOf === undefined ? 'not run' : times(shortAsOf.ratio),
      met: shortAsOf === undefined ? null : shortAsOf.ratio <= 1.3,
    },
    {
      target: `asOf's ratio at 10× the history within ${times(target)} of itself (current knowledge)`,
      measured: `${ratioOfRatios.current.toFixed(3)} (with a past knownAt: ${ratioOfRatios.knownAt.toFixed(3)})`,
      met: ratioOfRatios.current <= target && ratioOfRatios.current >= 1 / target,
    },
    {
      target: 'update faster than the periods extension’s FOR PORTION OF view',
      measured: periods === undefined ? `not measured: ${report.periods.note}` : `${times(periods.ratio)} its time`,
      met: periods === undefined ? null : periods.ratio < 1,
    },
    {
      target: 'one round trip per write',
      measured: writesTrips.map((r) => String(r.statements)).join(', ') + ` statements (${String(writesTrips.length)} writes)`,
      met: writesTrips.every((r) => r.statements === r.target),
    },
    ...writePathRows(report, update, asOf),
    {
      target: 'repo.load at least half as fast as COPY (rows/s)',
      measured: report.bulkLoad.ratio === null ? `COPY not measured: ${report.bulkLoad.skipped ?? ''}` : `${times(report.bulkLoad.ratio)} COPY's rate`,
      met: report.bulkLoad.ratio === null ? null : report.bulkLoad.ratio >= 0.5,
    },
  ]
  return rows
}

/** The runs of the concurrent-throughput part that the write-path targets compare. */
const PLAIN_RUN = 'plain UPDATE by id'
const SINGLE_RUN = 'repository update (single statement, its own transaction)'

type TargetRow = { target: string; measured: string; met: boolean | null }

/**
 * The write path's targets (issue 17): the update against the floor
 * contender (what the statement adds to the bare rows), asOf against the
 * prepared plain SELECT, and concurrent single writes against plain
 * UPDATEs, on one hot key (with the share of writes sent again) and on
 * distinct keys.
 */
function writePathRows(report: BenchReport, update: ResultRow | undefined, asOf: ResultRow | undefined): TargetRow[] {
  const floor = report.groups[1]?.versus?.find((v) => v.name === NAMES.update && v.of === NAMES.floor)
  const run = (name: string, keys: 'hot' | 'distinct'): BenchReport['throughput'][number] | undefined =>
    report.throughput.find((t) => t.name === name && t.keys === keys)
  const throughputRow = (keys: 'hot' | 'distinct', least: number): TargetRow => {
    const plain = run(PLAIN_RUN, keys)
    const single = run(SINGLE_RUN, keys)
    const target = `single writes on ${keys === 'hot' ? 'one hot key' : 'distinct keys'} (${String(single?.connections ?? 0)} connections) ≥ ${times(least)} plain UPDATE's writes/s`
    if (plain === undefined || single === undefined || plain.perSecond === 0) return { target, measured: 'not run', met: null }
    const ratio = single.perSecond / plain.perSecond
    return { target, measured: `${times(ratio)} (${thousands(single.perSecond)} against ${thousands(plain.perSecond)} writes/s)`, met: ratio >= least }
  }
  const hot = run(SINGLE_RUN, 'hot')
  const retryShare = hot === undefined || hot.operations === 0 ? undefined : hot.retries / hot.operations
  return [
    {
      target: 'update ≤ 1.25× the floor contender (the bare close and 3 inserts)',
      measured: floor === undefined || update === undefined ? 'not run' : times(floor.ratio),
      met: floor === undefined || update === undefined ? null : floor.ratio <= 1.25,
    },
    {
      target: 'asOf ≤ 1.1× the prepared plain SELECT by id',
      measured: asOf === undefined ? 'not run' : times(asOf.ratioPrepared),
      met: asOf === undefined ? null : asOf.ratioPrepared <= 1.1,
    },
    throughputRow('hot', 0.5),
    {
      target: 'single writes on one hot key: writes sent again < 5% of writes',
      measured: hot === undefined || retryShare === undefined ? 'not run' : `${(100 * retryShare).toFixed(1)}% (${String(hot.retries)} of ${String(hot.operations)})`,
      met: retryShare === undefined ? null : retryShare < 0.05,
    },
    throughputRow('distinct', 0.45),
  ]
}

/** Where the update's ratio stands against the WAL flush of the run, when the bench measured it. */
function flushNote(report: BenchReport): string {
  const flush = report.withoutFlush
  const update = flush?.group.rows.find((r) => r.name === NAMES.update)
  const breakEven = flush?.breakEven.find((b) => b.name === NAMES.update)
  if (flush === undefined || update === undefined || breakEven === undefined) return ''
  return ` (${times(update.ratio)} without the WAL flush; within 2× when a commit's flush takes at least ${us(breakEven.flushUs)} µs, and it took ${us(flush.flushUs)} µs in this run)`
}

/** The sizes of both modes, and why they are what they are. */
export function sizesMarkdown(): string[] {
  const { full, quick } = PLANS
  const size = (p: typeof full): string =>
    `history length ${String(p.history.short.entities)} × ${String(p.history.short.versions)} and ${String(p.history.long.entities)} × ${String(p.history.long.versions)}; count over ${String(p.history.short.entities * p.history.short.versions)} rows; timeline of ${String(p.timeline.versions)} versions; throughput ${String(p.throughputSeconds)} s per run; load ${String(p.load.entities * p.load.versionsPerEntity)} versions, ${String(p.load.rounds)} round(s) each way`
  return [
    `- Sizes, full: ${size(full)}. Quick: ${size(quick)}. The reads and writes of issue 3 use 20,000 entities × 5 versions in both.`,
    "- Why: the issue's sizes are 100k entities × 10 versions, and 10× the history per entity. The long history is 10,000 entities × 100 versions, not 100,000 × 100, so that both tables hold the same million rows: the question is whether asOf's cost grows with an entity's history, and a table ten times larger would also change the index depth and how much of it is cached. Quick mode divides every size by ten (the load by twenty) to stay under two minutes on two busy cores.",
  ]
}

const metText = (met: boolean | null): string => (met === null ? 'not measured' : met ? 'met' : 'NOT met')

/** The sections after the read and write groups: history length, timeline, count, throughput, round trips, bulk load. */
export function extraMarkdown(report: BenchReport): string[] {
  const { historyLength: h } = report
  const extraGroups = report.groups.slice(2)
  const out: string[] = [
    '',
    '### asOf and the length of history',
    '',
    `Two tables of the same size: ${String(report.plans.history.short.entities)} entities × ${String(report.plans.history.short.versions)} versions and ${String(report.plans.history.long.entities)} × ${String(report.plans.history.long.versions)} (ten times the history per entity). Equal row counts keep the indexes at the same size and depth, so only the history per entity differs; all eight contenders alternate in one run. Ratio of ratios (asOf ÷ plain at the long history, over the same at the short): **${h.ratioOfRatios.current.toFixed(3)}** in current knowledge, ${h.ratioOfRatios.knownAt.toFixed(3)} with a past \`knownAt\` (target: within ${times(h.target)}).`,
    ...groupMarkdown(h.short, '####'),
    ...groupMarkdown(h.long, '####'),
  ]
  for (const group of extraGroups) out.push(...groupMarkdown(group))
  out.push(
    '',
    '### Concurrent throughput',
    '',
    `${String(report.throughput[0]?.connections ?? 0)} connections (a pool of 8, one writer each) for ${String(report.plans.throughputSeconds)} s per run after a warm-up of a tenth of that; each repository write is \`update\` of the portion [2024-02-10, 2024-02-20) with a new rate. Distinct keys: each writer takes its own 500 keys in turn; hot key: all writers on one key. Retries: for single writes, write statements sent again after a lost race (counted at the driver: write statements sent minus writes called; a single write that finds its key's lock busy waits its turn and runs again inside the same statement, which is not a retry); in \`repo.transaction\`, the times the helper ran the function again. Failed: \`ConcurrentWriteError\` after every retry.`,
    '',
    '| writes | keys | ops/s | writes done | retries | failed |',
    '|---|---|--:|--:|--:|--:|',
    ...report.throughput.map((t) => `| ${t.name} | ${t.keys} | ${thousands(t.perSecond)} | ${String(t.operations)} | ${String(t.retries)} | ${String(t.failed)} |`),
    '',
    '### Round trips',
    '',
    'Statements each call sent, counted at the driver (every `query` of the `pg` client, as `test/support/counting-pool.ts` does in the tests), outside any transaction.',
    '',
    '| call | statements | kinds | target |',
    '|---|--:|---|---|',
    ...report.roundTrips.map((r) => `| ${r.operation} | ${String(r.statements)} | ${r.kinds.join(', ')} | ${r.target === undefined ? '' : `${String(r.target)}: ${r.statements === r.target ? 'met' : 'NOT met'}`} |`),
    '',
    '### Bulk loading',
    '',
    `${thousands(report.bulkLoad.rows)} versions (${String(report.plans.load.entities)} entities × ${String(report.plans.load.versionsPerEntity)}), each time into a new empty table made by the library's DDL (exclusion constraint, three btree indexes, triggers), rounds alternating which goes first, a CHECKPOINT before each. \`${LOAD_NAME}\` against \`${COPY_NAME}\`, both generating their rows in this process as they go. ${report.bulkLoad.skipped === undefined ? '' : `COPY was not measured: ${report.bulkLoad.skipped}.`}`,
    '',
    '| loader | round | rows | seconds | rows/s |',
    '|---|--:|--:|--:|--:|',
    ...report.bulkLoad.timings.map((t) => `| ${t.name} | ${String(t.round)} | ${thousands(t.rows)} | ${t.seconds.toFixed(1)} | ${thousands(t.rowsPerSecond)} |`),
    '',
    report.bulkLoad.ratio === null ? '' : `Load ÷ COPY in rows/s (medians): **${times(report.bulkLoad.ratio)}** (target: at least 0.50×).`,
  )
  return out
}

export function targetsMarkdown(report: BenchReport): string[] {
  return ['', '| target (issues 3, 6 and 17) | measured | |', '|---|---|---|', ...targetRows(report).map((r) => `| ${r.target} | ${r.measured} | ${metText(r.met)} |`)]
}

export function extraConsole(report: BenchReport): string[] {
  const h = report.historyLength
  const extraGroups = report.groups.slice(2)
  const lines = [...groupConsole(h.short), ...groupConsole(h.long)]
  lines.push(`  ratio of ratios: ${h.ratioOfRatios.current.toFixed(3)} current, ${h.ratioOfRatios.knownAt.toFixed(3)} knownAt (target within ${times(h.target)})`)
  for (const group of extraGroups) lines.push(...groupConsole(group))
  lines.push('', `Concurrent throughput (${String(report.plans.throughputSeconds)} s each):`)
  for (const t of report.throughput) lines.push(`  ${t.keys.padEnd(8)} ${thousands(t.perSecond).padStart(7)} ops/s  retries ${String(t.retries).padStart(5)}  failed ${String(t.failed)}  ${t.name}`)
  lines.push('', 'Round trips:')
  for (const r of report.roundTrips) lines.push(`  ${String(r.statements).padStart(3)}  ${r.operation} (${r.kinds.join(', ')})`)
  lines.push('', 'Bulk loading:')
  for (const t of report.bulkLoad.timings) lines.push(`  round ${String(t.round)}  ${thousands(t.rowsPerSecond).padStart(9)} rows/s  ${t.seconds.toFixed(1)} s  ${t.name}`)
  if (report.bulkLoad.skipped !== undefined) lines.push(`  COPY skipped: ${report.bulkLoad.skipped}`)
  lines.push('', 'Targets:', ...targetRows(report).map((r) => `  ${metText(r.met).padEnd(12)} ${r.target}: ${r.measured}`))
  return lines
}

/** What the numbers say about the 2× target, in one paragraph. */
export function commitFlushSummary(result: CommitFlushResult): string {
  const [update, floor] = result.breakEven
  const parts = [
    `A commit's WAL flush took about ${us(result.flushUs)} µs in this run (the plain UPDATE with its flush minus without).`,
    'Every write pays that wait once, so the ratio to the plain UPDATE depends on it as much as on the write:',
  ]
  if (update !== undefined) parts.push(`the update is within 2× whenever the flush takes at least ${us(update.flushUs)} µs`)
  if (floor !== undefined) parts.push(`and the bare rows (the floor) whenever it takes at least ${us(floor.flushUs)} µs.`)
  return parts.join(' ')
}
