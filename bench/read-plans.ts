/**
 * `npm run bench:plans`: issue 4's "every read must use an index at 1M
 * rows", shown rather than guessed. Loads 1M versions (plus two smaller
 * temporal tables for joins), runs every read the library offers once to
 * record the statement it sends, and EXPLAINs (ANALYZE, BUFFERS) each as a
 * custom and a generic plan (streams: their DECLARE). Prints a summary,
 * writes docs/read-plans.md, and exits 1 if any plan reads a temporal table
 * with a Seq Scan. Uses DATABASE_URL when set, else starts an embedded
 * PostgreSQL; either way it works in a database of its own that it drops.
 */
import os from 'node:os'
import { type CompiledQuery, sql } from 'kysely'
import type { AnyKysely } from '../src/any-kysely.js'
import { NamedStatement } from '../src/statement/named-statement.js'
import { withBenchConnection } from './bench-connection.js'
import { explainRead, type Mode } from './read-plans-explain.js'
import { loadTables } from './read-plans-fixture.js'
import { dataFacts, INSTANTS, type Read, reads } from './read-plans-reads.js'
import { formatSummary, type PlansReport, type ReadReport, seqScanFailures, writeMarkdown } from './read-plans-report.js'

const TEMPORAL = new Set(['subscriptions', 'customers', 'products'])

async function main(): Promise<void> {
  const started = process.hrtime.bigint()
  // One connection: PREPARE, EXECUTE and the plan cache setting must share a session.
  await withBenchConnection('bitemporal_plans', async ({ db, recording, recorded }) => {
    const report = await run(db, recording, recorded, started)
    console.log(formatSummary(report))
    console.log(`\nwrote ${await writeMarkdown(report)}`)
    const failures = seqScanFailures(report)
    if (failures.length > 0) {
      console.error(`\n[bench:plans] ${String(failures.length)} plan(s) read a temporal table with a Seq Scan:\n  ${failures.join('\n  ')}`)
      process.exitCode = 1
    }
  })
}

async function run(db: AnyKysely, recording: AnyKysely, recorded: CompiledQuery[], started: bigint): Promise<PlansReport> {
  const loadStart = os.loadavg()
  const { rows } = await sql<{ version: string }>`select version()`.execute(db)
  const postgres = rows[0]?.version ?? 'unknown'
  log(postgres)
  const loads = await loadTables(db, log)
  const facts = await dataFacts(db)
  const results: ReadReport[] = []
  for (const read of reads()) {
    const sent = await record(read, recording, recorded)
    const modes: Mode[] = read.sentAs === 'cursor' ? ['cursor'] : ['custom', 'generic']
    const plans = []
    // The library plans its cursors for fetching every row (cursor_tuple_fraction 1; see cursorBatches).
    for (const mode of modes) plans.push(await explainRead(db, sent, mode, TEMPORAL, mode === 'cursor' ? 1 : undefined))
    // Where a cursor's fast-start plan scans the table, show the plan for reading every row, as a stream does.
    const whatIf = plans.some((p) => p.mode === 'cursor' && p.seqScans.length > 0) ? await explainRead(db, sent, 'cursor', TEMPORAL, 1) : undefined
    log(`${read.name}: ${plans.map((p) => `${p.mode} ${p.executionMs.toFixed(2)} ms`).join(', ')}`)
    results.push({ read, sent, plans, ...(whatIf === undefined ? {} : { whatIf }) })
  }
  return {
    date: new Date().toISOString(),
    command: commandLine(),
    postgres,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    loadAverage: { start: loadStart, end: os.loadavg() },
    loads,
    facts,
    instants: `Instants: key ${String(INSTANTS.key)}; validAt ${INSTANTS.validAt}; knownAt ${INSTANTS.knownAt}; changes hour [${INSTANTS.hour.since}, ${INSTANTS.hour.until}); timeline window [${INSTANTS.window.from}, ${INSTANTS.window.to}); "today" is the server's date`,
    reads: results,
  }
}

/** Runs the read once and returns the statement it sent (for a stream, its DECLARE). */
async function record(read: Read, recording: AnyKysely, recorded: CompiledQuery[]): Promise<CompiledQuery> {
  recorded.length = 0
  await read.run(recording)
  const statements = recorded.filter((query) => (read.sentAs === 'cursor' ? textOf(query).startsWith('declare ') : true))
  const [statement, ...more] = statements
  if (statement === undefined || more.length > 0) throw new Error(`read-plans: ${read.name} sent ${String(statements.length)} statements, expected one`)
  return { ...statement, sql: textOf(statement) }
}

/** The SQL of a recorded query: the repository's named statements travel through Kysely as objects in place of the text. */
function textOf(query: CompiledQuery): string {
  const text: unknown = query.sql
  if (typeof text === 'string') return text
  if (text instanceof NamedStatement) return text.text
  throw new Error('read-plans: a recorded query has neither text nor a named statement')
}

/** How this run was started, with any password in DATABASE_URL masked. */
function commandLine(): string {
  const url = process.env['DATABASE_URL']
  let shown = ''
  if (url !== undefined && url !== '') {
    try {
      const parsed = new URL(url)
      if (parsed.password !== '') parsed.password = '***'
      shown = `DATABASE_URL=${parsed.href} `
    } catch {
      shown = 'DATABASE_URL=<set> '
    }
  }
  return `${shown}${process.env['npm_lifecycle_event'] === 'bench:plans' ? 'npm run bench:plans' : 'npx tsx bench/read-plans.ts'}`
}

function log(message: string): void {
  console.error(`[bench:plans] ${message}`)
}

await main()
