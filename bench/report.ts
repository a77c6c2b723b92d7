import { readFile, writeFile } from 'node:fs/promises'
import type { BenchPlan } from './bench-plan.js'
import type { BulkLoadResult } from './bulk-load.js'
import type { CommitFlushResult } from './commit-flush.js'
import type { PlanProfile } from './explain.js'
import { PERIODS_SETUP } from './periods-extension.js'
import type { HistoryLengthResult } from './history-reads.js'
import type { RoundPlan, Timings } from './measure.js'
import { commitFlushSummary, extraConsole, extraMarkdown, groupConsole, groupMarkdown, sizesMarkdown, targetsMarkdown, us } from './report-sections.js'
import type { RoundTripRow } from './round-trips.js'
import type { ThroughputResult } from './throughput.js'

/** One operation's timings, against its group's baseline. */
export interface ResultRow extends Timings {
  /** Median over the baseline's median. */
  readonly ratio: number
  /** Median over the prepared baseline's median. */
  readonly ratioPrepared: number
  /** The most `ratio` may be, where the issue sets a target. */
  readonly target?: number
}

/** A ratio between two contenders other than the baseline: `name` ÷ `of`. */
export interface Versus {
  readonly name: string
  readonly of: string
  readonly ratio: number
  readonly target?: number
}

export interface GroupResult {
  readonly title: string
  readonly baseline: string
  /** The baseline as a prepared statement. */
  readonly prepared: string
  /** What the reader needs to know about this comparison's data. */
  readonly note?: string
  readonly rows: readonly ResultRow[]
  readonly versus?: readonly Versus[]
}

export interface PreparedStatementCounts {
  readonly name: string
  /** The first line of its text. */
  readonly statement: string
  readonly genericPlans: number
  readonly customPlans: number
}

export interface BenchReport {
  readonly date: string
  readonly command: string
  /** The git commit of the code measured. */
  readonly revision: string
  readonly machine: {
    readonly cpuModel: string
    readonly cpuCount: number
    readonly memoryGiB: number
    readonly os: string
    /** `os.loadavg()` (1, 5, 15 minutes) when the run started and ended: other work on the machine skews timings. */
    readonly loadAverage: { readonly start: readonly number[]; readonly end: readonly number[] }
  }
  readonly node: string
  readonly postgres: { readonly version: string; readonly source: string; readonly settings: Readonly<Record<string, string>> }
  readonly data: { readonly entities: number; readonly versionsPerEntity: number; readonly bitemporalRows: number }
  readonly plans: BenchPlan
  /** How long the whole run took, in seconds. */
  readonly seconds: number
  readonly groups: readonly GroupResult[]
  readonly historyLength: HistoryLengthResult
  /** Whether the periods extension was measured (in the Writes group), and how it was set up or why not. */
  readonly periods: { readonly measured: boolean; readonly note: string }
  readonly throughput: readonly ThroughputResult[]
  readonly roundTrips: readonly RoundTripRow[]
  readonly bulkLoad: BulkLoadResult
  /** The connection's prepared statements after the timed run, with the plan cache's choices. */
  readonly preparedStatements: readonly PreparedStatementCounts[]
  readonly profiles: readonly PlanProfile[]
  /** The writes again without waiting for the WAL flush (absent from results of earlier versions of the bench). */
  readonly withoutFlush?: CommitFlushResult
}

const load = (values: readonly number[]): string => values.map((value) => value.toFixed(2)).join(' / ')
const ms = (value: number): string => value.toFixed(3)

/** The results as a plain-text table for the terminal. */
export function formatConsole(report: BenchReport): string {
  const lines: string[] = []
  for (const group of report.groups.slice(0, 2)) lines.push(...groupConsole(group))
  if (report.withoutFlush !== undefined) lines.push(...groupConsole(report.withoutFlush.group), `  ${commitFlushSummary(report.withoutFlush)}`)
  if (!report.periods.measured) lines.push(`  periods extension not measured: ${report.periods.note}`)
  lines.push(...extraConsole(report))
  if (report.preparedStatements.length > 0) lines.push('', 'Prepared statements on the connection (generic / custom plans):')
  for (const p of report.preparedStatements) lines.push(`  ${String(p.genericPlans).padStart(6)} / ${String(p.customPlans).padStart(6)}  ${p.statement}`)
  for (const profile of report.profiles) {
    lines.push(
      '',
      `EXPLAIN (ANALYZE, BUFFERS) ${profile.label}:`,
      `  planning ${ms(profile.planningMs)} ms, execution ${ms(profile.executionMs)} ms (medians of ${profile.runs}; with TIMING OFF ${ms(profile.untimed.planningMs)} and ${ms(profile.untimed.executionMs)} ms)`,
    )
    const timed = roundTrip(report, profile)
    if (timed !== '') lines.push(` ${timed}`)
    for (const { node, ms: time } of topNodes(profile)) lines.push(`  ${ms(time).padStart(8)} ms  ${share(time, profile)}  ${node}`)
    for (const trigger of profile.triggers) {
      lines.push(`  trigger ${trigger.name}: ${calls(trigger.calls)}, ${ms(trigger.ms)} ms (inside the node that fired it)`)
    }
  }
  return lines.join('\n')
}

const calls = (n: number): string => `${String(n)} ${n === 1 ? 'call' : 'calls'}`

/** How the profile compares with the timed round trip of the same statement, if one was timed. */
function roundTrip(report: BenchReport, profile: PlanProfile): string {
  const row = report.groups.flatMap((group) => group.rows).find((r) => r.name === profile.timedAs)
  if (row === undefined) return ''
  const server = 1000 * (profile.untimed.planningMs + profile.untimed.executionMs)
  return ` The timed round trip of "${row.name}" took ${us(row.medianUs)} µs (median); planning and execution with TIMING OFF take ${us(server)} µs of that, the other ${us(row.medianUs - server)} µs are the driver, the protocol and, for a write, the commit.`
}

/** Planning, then the plan nodes that take the most time. */
function topNodes(profile: PlanProfile, count = 8): { node: string; ms: number }[] {
  return [{ node: 'planning', ms: profile.planningMs }, ...profile.nodes.slice(0, count)]
}

function share(time: number, profile: PlanProfile): string {
  return `${((100 * time) / (profile.planningMs + profile.executionMs)).toFixed(0).padStart(3)}%`
}

/** docs/benchmarks.md. */
export function formatMarkdown(report: BenchReport, notes?: string): string {
  const { machine, postgres } = report
  const settings = Object.entries(postgres.settings)
    .map(([name, value]) => `${name}=${value}`)
    .join(', ')
  const plan = (p: RoundPlan): string => `${String(p.warmup)} warm-up, then ${String(p.rounds)} rounds × ${String(p.operations)}`
  const out: string[] = [
    '# Benchmarks',
    '',
    '<!-- Written by `npm run bench` (bench/repository-bench.ts). Do not edit: run it again. -->',
    '',
    "What the repository costs against the plain-table limit: the same operation on a plain table `plain(id integer primary key, rate numeric not null, note text)` through the same driver path (Kysely `executeQuery` of a `CompiledQuery`, the path the repository's `runStatement` takes), on one connection to the same server, in the same run. The contenders alternate in rounds, each round starting with a different one; every operation is timed on its own (`process.hrtime.bigint()`), from the call to the resolved promise, and each write is its own transaction (commit included).",
    '',
    `Data: ${String(report.data.entities)} entities with ${String(report.data.versionsPerEntity)} monthly versions each (${String(report.data.bitemporalRows)} current rows) in the bitemporal table \`rates { key: { id: 'integer' }, values: { rate: 'numeric not null', note: 'text' } }\`, and the same entities in \`plain\`; both vacuumed and analyzed. Reads run before writes. Each repository \`update\` hits an entity no earlier update touched, inside its February version: it closes 1 row and inserts 3. \`set\` without \`to\` starts inside March (closes 1, inserts 2); the no-op \`update\` gives April its own rate (writes nothing).`,
    '',
    '## Run',
    '',
    `- Date: ${report.date}`,
    `- Command: \`${report.command}\``,
    `- Code: ${report.revision}`,
    `- Machine: ${machine.cpuModel}, ${String(machine.cpuCount)} CPUs, ${machine.memoryGiB.toFixed(1)} GiB memory, ${machine.os}; load average ${load(machine.loadAverage.start)} at the start, ${load(machine.loadAverage.end)} at the end`,
    `- Node: ${report.node}`,
    `- PostgreSQL: ${postgres.version} (${postgres.source}); ${settings}`,
    `- Mode: ${report.plans.mode}, ${(report.seconds / 60).toFixed(1)} minutes in all (the full run builds two tables of a million rows and loads a million versions each way: about six minutes on two busy cores, up to fifteen on a slower machine; \`--quick\` runs every part at a tenth of the sizes or less in under two)`,
    `- Reads: ${plan(report.plans.reads)} operations per contender; writes: ${plan(report.plans.writes)}; history length: ${plan(report.plans.history.plan)}; timeline: ${plan(report.plans.timeline.plan)}; count: ${plan(report.plans.count.plan)}`,
    ...sizesMarkdown(),
    '',
    '## Targets',
    ...targetsMarkdown(report),
    '',
    '## Results',
    '',
    "Microseconds per operation (median and 90th percentile over all timed operations). Ratio = median ÷ the plain baseline's median; the targets from the issue apply to it. The plain statement also runs prepared (a named statement `pg` parses and plans once per connection), the tighter limit: the last column divides by that. Round medians show how stable the run was.",
  ]
  for (const group of report.groups.slice(0, 2)) out.push(...groupMarkdown(group))
  out.push('', report.periods.measured ? `The periods extension: ${report.periods.note}. ${PERIODS_SETUP}.` : `The periods extension was not measured: ${report.periods.note}.`)
  if (report.withoutFlush !== undefined) {
    out.push(...groupMarkdown(report.withoutFlush.group), '', WITHOUT_FLUSH, '', commitFlushSummary(report.withoutFlush))
  }
  out.push(...extraMarkdown(report))
  if (report.preparedStatements.length > 0) {
    out.push(
      '',
      "Prepared statements on the connection after the timed run, and the plan cache's choices (PostgreSQL plans the first five executions for their parameters, then keeps a generic plan if it does not look costlier):",
      '',
      '| statement | generic plans | custom plans |',
      '|---|--:|--:|',
      ...report.preparedStatements.map((p) => `| \`${p.statement.replaceAll("|", "\\|")}\` | ${String(p.genericPlans)} | ${String(p.customPlans)} |`),
    )
  }
  out.push(
    '',
    '## Where the time goes',
    '',
    "`EXPLAIN (ANALYZE, BUFFERS)` of the statements on the same connection after the timed run, each in a transaction that is rolled back (so without the commit), on entities the timed writes did not touch; medians over the runs. EXPLAIN ANALYZE's clock reads around every node inflate a plan of many nodes, so planning and execution are also measured with `TIMING OFF`, and those are what the round trips are compared with. A node's time is its own: its total minus its children's (and, for a CTE Scan, minus the CTE it reads), so a write's Insert and Update nodes carry the heap writes, the maintenance of both indexes (the GiST exclusion index with its overlap check, and the partial index of current rows) and the row triggers they fire. Shares are of planning + execution.",
  )
  for (const profile of report.profiles) {
    out.push(
      '',
      `### ${profile.label}`,
      '',
      `Planning ${ms(profile.planningMs)} ms, execution ${ms(profile.executionMs)} ms (medians of ${String(profile.runs)} runs; with TIMING OFF ${ms(profile.untimed.planningMs)} and ${ms(profile.untimed.executionMs)} ms).${roundTrip(report, profile)}`,
      '',
      '| where | ms | share |',
      '|---|--:|--:|',
      ...topNodes(profile).map(({ node, ms: time }) => `| ${node.replaceAll('|', '\\|')} | ${ms(time)} | ${share(time, profile).trim()} |`),
    )
    if (profile.triggers.length > 0) {
      out.push('', 'Triggers: ' + profile.triggers.map((t) => `\`${t.name}\` ${calls(t.calls)}, ${ms(t.ms)} ms`).join('; ') + '.')
    }
  }
  out.push('', '<details>', '<summary>Plans (EXPLAIN (ANALYZE, BUFFERS), first run)</summary>', '')
  for (const profile of report.profiles) out.push(`#### ${profile.label}`, '', '```text', profile.text, '```', '')
  out.push('</details>', '')
  if (notes !== undefined) out.push(notes.trim(), '')
  return out.join('\n')
}

const WITHOUT_FLUSH =
  "The same writes, continuing on entities they had not touched, right after the table above on the same connection with `synchronous_commit = off`: each commit still writes its WAL but does not wait for the disk to flush it. What is left is each write's own work (driver, protocol, execution, WAL records, commit bookkeeping). Ratios here are of work alone; durability is not in question, this is a measurement."

/** Hand-written analysis kept beside the bench and added at the end of the document, if present. */
const NOTES = new URL('./write-cost-notes.md', import.meta.url)
const MARKDOWN = new URL('../docs/benchmarks.md', import.meta.url)
const JSON_FILE = new URL('./results.json', import.meta.url)

async function readNotes(): Promise<string | undefined> {
  try {
    return await readFile(NOTES, 'utf8')
  } catch {
    return undefined
  }
}

export async function writeReport(report: BenchReport): Promise<{ markdown: string; json: string }> {
  await writeFile(MARKDOWN, formatMarkdown(report, await readNotes()))
  await writeFile(JSON_FILE, `${JSON.stringify(report, (_, value: unknown) => (typeof value === 'number' ? Number(value.toFixed(3)) : value), 2)}\n`)
  return { markdown: MARKDOWN.pathname, json: JSON_FILE.pathname }
}

/** docs/benchmarks.md again from bench/results.json (after editing the notes), without running anything. */
export async function rewriteMarkdown(): Promise<string> {
  const report = JSON.parse(await readFile(JSON_FILE, 'utf8')) as BenchReport
  await writeFile(MARKDOWN, formatMarkdown(report, await readNotes()))
  return MARKDOWN.pathname
}
