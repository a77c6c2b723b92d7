/**
 * `npm run bench [-- --quick]`: the repository's reads and writes against the
 * same operations on a plain table, on one connection, in one run. Prints a
 * table and writes docs/benchmarks.md and bench/results.json. Uses
 * DATABASE_URL when set, else starts an embedded PostgreSQL; either way it
 * works in a database of its own that it drops at the end.
 */
import { execFileSync } from 'node:child_process'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { sql } from 'kysely'
import type { AnyKysely } from '../src/index.js'
import type { TestServer } from '../src/testing/index.js'
import { withBenchConnection } from './bench-connection.js'
import { maskPassword } from '../src/testing/mask-password.js'
import { type BenchPlan, PLANS } from './bench-plan.js'
import { bulkLoad } from './bulk-load.js'
import { measureWithoutFlush } from './commit-flush.js'
import { compare } from './compare.js'
import { EntityQueue, readComparison, writeComparison } from './contenders.js'
import { countComparison } from './count-reads.js'
import { buildTables, ENTITIES, VERSIONS } from './fixture.js'
import { historyLength, timelineComparison } from './history-reads.js'
import { setUpPeriods } from './periods-extension.js'
import { planCacheCounts, profileStatements, type Recorder } from './profiles.js'
import { seededRandom } from './random.js'
import { type BenchReport, formatConsole, rewriteMarkdown, writeReport } from './report.js'
import { roundTrips } from './round-trips.js'
import { throughput } from './throughput.js'

const USAGE = `usage: npm run bench [-- --quick | --report-only]
  --quick        every part at a tenth of the sizes or less (under two minutes)
  --report-only  write docs/benchmarks.md again from bench/results.json (after editing bench/write-cost-notes.md)`

async function main(args: readonly string[]): Promise<void> {
  const unknown = args.filter((arg) => arg !== '--quick' && arg !== '--report-only')
  if (unknown.length > 0) {
    console.error(`${unknown.includes('--help') ? '' : `unknown argument ${unknown.join(' ')}\n`}${USAGE}`)
    process.exitCode = unknown.includes('--help') ? 0 : 2
    return
  }
  if (args.includes('--report-only')) {
    console.log(`wrote ${await rewriteMarkdown()}`)
    return
  }
  const plans = PLANS[args.includes('--quick') ? 'quick' : 'full']
  // Everything runs on this one connection: a pool of one, shared by a
  // second Kysely instance that records the statements the repository sends.
  await withBenchConnection('bitemporal_bench', async ({ db, recording, recorded, server, url }) => {
    const report = await run(db, { db: recording, recorded }, server, url, plans)
    console.log(formatConsole(report))
    const written = await writeReport(report)
    console.log(`\nwrote ${written.markdown} and ${written.json}`)
  })
}

async function run(db: AnyKysely, recorder: Recorder, server: TestServer, url: string, plans: BenchPlan): Promise<BenchReport> {
  const started = process.hrtime.bigint()
  const loadStart = os.loadavg()
  log(`PostgreSQL ${String(server.serverVersion)} (${server.source}): loading ${String(ENTITIES)} entities × ${String(VERSIONS)} versions`)
  const { recordedAt } = await buildTables(db)
  const random = seededRandom(20_260_101)

  log('periods extension')
  const periods = await setUpPeriods(db, server, random)
  log(periods.measured ? periods.how : `skipped: ${periods.reason}`)

  log('reads')
  const reads = await compare(readComparison(db, random, recordedAt), plans.reads)
  log('writes')
  const updated = new EntityQueue(random)
  const writeSet = writeComparison(db, random, updated, periods.measured ? periods.contender : undefined)
  const writes = await compare(writeSet, plans.writes)
  log('writes without waiting for the WAL flush')
  const withoutFlush = await measureWithoutFlush(db, writeSet, writes, plans.writes)
  const preparedStatements = await planCacheCounts(db)
  log('EXPLAIN ANALYZE')
  const profiles = await profileStatements(db, recorder, updated, preparedStatements)

  const history = await historyLength(db, random, plans, log)
  log(`timeline of ${String(plans.timeline.versions)} versions`)
  const timeline = await compare(timelineComparison(db, history.long, history.timeline), plans.timeline.plan)
  log(`count over ${String(plans.history.short.entities * plans.history.short.versions)} rows`)
  const count = await compare(await countComparison(db, random, history.short, plans), plans.count.plan)
  log(`concurrent throughput (${String(plans.throughputSeconds)} s per run)`)
  const concurrent = await throughput(url, plans.throughputSeconds)
  log('round trips')
  const trips = await roundTrips(url)
  log(`bulk loading ${String(plans.load.entities * plans.load.versionsPerEntity)} versions`)
  const loaded = await bulkLoad(db, url, plans.load.entities, plans.load.versionsPerEntity, plans.load.rounds)
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  log(`done in ${seconds.toFixed(1)} s`)
  return {
    date: new Date().toISOString(),
    command: commandLine(),
    revision: revision(),
    machine: { ...machine(), loadAverage: { start: loadStart, end: os.loadavg() } },
    node: process.version,
    postgres: { ...(await serverInfo(db)), source: server.source },
    data: { entities: ENTITIES, versionsPerEntity: VERSIONS, bitemporalRows: ENTITIES * VERSIONS },
    plans,
    seconds,
    groups: [reads, writes, timeline, count],
    historyLength: history.result,
    periods: periods.measured ? { measured: true, note: periods.how } : { measured: false, note: periods.reason },
    throughput: concurrent,
    roundTrips: trips,
    bulkLoad: loaded,
    preparedStatements,
    profiles,
    withoutFlush,
  }
}

function machine(): Omit<BenchReport['machine'], 'loadAverage'> {
  const cpus = os.cpus()
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    memoryGiB: os.totalmem() / 2 ** 30,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  }
}

async function serverInfo(db: AnyKysely): Promise<{ version: string; settings: Record<string, string> }> {
  const { rows } = await sql<{ name: string; setting: string }>`
    select name, current_setting(name) as setting from unnest(array[
      'server_version', 'shared_buffers', 'work_mem', 'fsync', 'synchronous_commit', 'wal_sync_method', 'jit', 'plan_cache_mode'
    ]) as name`.execute(db)
  const settings = Object.fromEntries(rows.map((row) => [row.name, row.setting]))
  const { server_version: version = 'unknown', ...rest } = settings
  return { version, settings: rest }
}

/** How this run was started, with any password in DATABASE_URL masked. */
function commandLine(): string {
  const args = process.argv.slice(2).join(' ')
  const url = process.env['DATABASE_URL']
  const environment = url === undefined || url === '' ? '' : `DATABASE_URL=${maskPassword(url)} `
  const viaNpm = process.env['npm_lifecycle_event'] === 'bench'
  const command = viaNpm ? `npm run bench${args === '' ? '' : ` -- ${args}`}` : `npx tsx bench/repository-bench.ts${args === '' ? '' : ` ${args}`}`
  return environment + command
}

/** The commit the library code was measured at, and whether src/ or sql/ had uncommitted changes. */
function revision(): string {
  try {
    const cwd = fileURLToPath(new URL('..', import.meta.url))
    const git = (...args: string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const commit = git('rev-parse', '--short', 'HEAD')
    return git('status', '--porcelain', '--', 'src', 'sql') === '' ? commit : `${commit} with uncommitted changes in src/ or sql/`
  } catch {
    return 'unknown (not a git checkout)'
  }
}

const STARTED = process.hrtime.bigint()

function log(message: string): void {
  console.error(`[bench ${(Number(process.hrtime.bigint() - STARTED) / 1e9).toFixed(0).padStart(4)} s] ${message}`)
}

await main(process.argv.slice(2))
