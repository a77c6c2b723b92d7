import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { sql } from 'kysely'
import { bitemporal, createTable, type AnyKysely } from '../src/index.js'
import { historyDefinition, monthDay } from './history-fixture.js'

/** One timed bulk load of `rows` versions into an empty table with all its constraints and indexes. */
export interface LoadTiming {
  readonly name: string
  readonly round: number
  readonly rows: number
  readonly seconds: number
  readonly rowsPerSecond: number
}

export interface BulkLoadResult {
  readonly rows: number
  readonly timings: readonly LoadTiming[]
  /** Median rows/s of `repo.load` over median rows/s of COPY (the target: at least 0.5), or `null` without psql. */
  readonly ratio: number | null
  /** Why COPY was not measured, if it was not. */
  readonly skipped?: string
}

export const LOAD_NAME = 'repo.load (batches of 1,000 versions, one transaction)'
export const COPY_NAME = 'COPY … FROM STDIN through psql (text format, one transaction)'

/** Version `v` of entity `id`, as the COPY text line and as `repo.load` takes it; `months` are the month starts. */
function version(id: number, v: number, versions: number, months: readonly string[]) {
  const rate = ((id % 1000) / 100 + v).toFixed(2)
  const note = `entity ${String(id)} version ${String(v)}`
  const from = months[v] ?? ''
  const to = v < versions - 1 ? (months[v + 1] ?? null) : null
  return { rate, note, from, to }
}

function* versionsToLoad(entities: number, versions: number) {
  const months = Array.from({ length: versions + 1 }, (_, m) => monthDay(m))
  for (let id = 1; id <= entities; id++) {
    for (let v = 0; v < versions; v++) {
      const { rate, note, from, to } = version(id, v, versions, months)
      yield { key: { id }, effective: { from, to }, values: { rate, note } }
    }
  }
}

/** The same rows as COPY text, in chunks of `chunk` lines. */
function* copyText(entities: number, versions: number, chunk = 5000): Generator<string> {
  const months = Array.from({ length: versions + 1 }, (_, m) => monthDay(m))
  let lines: string[] = []
  for (let id = 1; id <= entities; id++) {
    for (let v = 0; v < versions; v++) {
      const { rate, note, from, to } = version(id, v, versions, months)
      lines.push(`${String(id)}\t${rate}\t${note}\t[${from},${to ?? ''})\n`)
      if (lines.length === chunk) {
        yield lines.join('')
        lines = []
      }
    }
  }
  if (lines.length > 0) yield lines.join('')
}

function psqlMissing(): string | undefined {
  const probe = spawnSync('psql', ['--version'], { stdio: 'ignore' })
  return probe.error === undefined && probe.status === 0 ? undefined : 'psql is not on PATH, and the bench installs no COPY client for pg'
}

/** Streams the rows into `table` through `psql \copy … from pstdin`, honouring back-pressure. */
async function copyThroughPsql(url: string, table: string, entities: number, versions: number): Promise<void> {
  const psql = spawn('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', `\\copy ${table} (id, rate, note, effective) from pstdin`], {
    stdio: ['pipe', 'ignore', 'pipe'],
  })
  let stderr = ''
  psql.stderr.on('data', (data: Buffer) => (stderr += data.toString()))
  const exited = once(psql, 'close')
  for (const text of copyText(entities, versions)) {
    if (!psql.stdin.write(text)) await once(psql.stdin, 'drain')
  }
  psql.stdin.end()
  const [code] = (await exited) as [number | null]
  if (code !== 0) throw new Error(`bench: psql COPY into ${table} failed (${String(code)}): ${stderr}`)
}

/** So that one load's dirty pages are not written during the next; needs pg_checkpoint, skipped without it. */
async function checkpoint(db: AnyKysely): Promise<void> {
  try {
    await sql`checkpoint`.execute(db)
  } catch {
    // Without the privilege the loads still run, only less isolated from each other.
  }
}

/**
 * `repo.load` of `entities × versions` versions against COPY of the same
 * rows, each into a new empty table made by the library's DDL (exclusion
 * constraint, three btree indexes, triggers). Rounds alternate which goes
 * first. Both generate their rows in this process as they go.
 */
export async function bulkLoad(db: AnyKysely, url: string, entities: number, versions: number, rounds: number): Promise<BulkLoadResult> {
  const rows = entities * versions
  const skipped = psqlMissing()
  const timings: LoadTiming[] = []
  const time = async (name: string, round: number, table: string, run: () => Promise<unknown>): Promise<void> => {
    const start = process.hrtime.bigint()
    await run()
    const seconds = Number(process.hrtime.bigint() - start) / 1e9
    const { rows: counted } = await sql<{ n: string }>`select count(*)::text as n from ${sql.table(table)}`.execute(db)
    if (Number(counted[0]?.n) !== rows) throw new Error(`bench: ${table} holds ${String(counted[0]?.n)} rows after loading ${String(rows)}`)
    timings.push({ name, round, rows, seconds, rowsPerSecond: rows / seconds })
  }
  for (let round = 1; round <= rounds; round++) {
    const loaded = historyDefinition(`loaded_${String(round)}`)
    const copied = historyDefinition(`copied_${String(round)}`)
    await createTable(db, loaded)
    await createTable(db, copied)
    await checkpoint(db)
    const load = (): Promise<void> => time(LOAD_NAME, round, loaded.name, () => bitemporal(db, loaded).load(versionsToLoad(entities, versions)))
    const copy = (): Promise<void> =>
      skipped === undefined ? time(COPY_NAME, round, copied.name, () => copyThroughPsql(url, copied.name, entities, versions)) : Promise.resolve()
    if (round % 2 === 1) {
      await copy()
      await checkpoint(db)
      await load()
    } else {
      await load()
      await checkpoint(db)
      await copy()
    }
  }
  const medianRate = (name: string): number => {
    const sorted = timings.filter((t) => t.name === name).map((t) => t.rowsPerSecond).sort((a, b) => a - b)
    const middle = (sorted.length - 1) / 2
    return ((sorted[Math.floor(middle)] ?? Number.NaN) + (sorted[Math.ceil(middle)] ?? Number.NaN)) / 2
  }
  return { rows, timings, ratio: skipped === undefined ? medianRate(LOAD_NAME) / medianRate(COPY_NAME) : null, ...(skipped === undefined ? {} : { skipped }) }
}
