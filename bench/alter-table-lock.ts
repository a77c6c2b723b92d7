/**
 * `npm run bench:alter`: how long `alterTable` stops the table's readers and
 * writers on a table of 1,000,000 versions (100,000 keys × 10 monthly
 * versions, the size issue 16 names), for each kind of change it supports.
 *
 * What is measured, per change, on a table built once:
 * - `alterTable`: the whole call, as the migration sees it;
 * - `blocked`: the longest a probe on another connection waited. The probe
 *   reads one key's current version in a loop (each read its own statement,
 *   a few hundred microseconds when nothing blocks it) while `alterTable`
 *   runs: every statement that takes any lock on the table queues behind
 *   the ACCESS EXCLUSIVE lock for as long as it is held, so the probe's
 *   longest read is how long the table was unavailable, as an application
 *   would see it, plus one read.
 *
 * Each change runs `--rounds` times (default 3) on fresh copies of the
 * column it changes, and the report gives the median. Prints a table;
 * writes nothing else. Needs DATABASE_URL or starts an embedded PostgreSQL.
 */
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { alterTable, type AlterTableOptions, createTable, defineTable, install, type AnyKysely, type TableDefinition } from '../src/index.js'
import { withBenchConnection } from './bench-connection.js'

const { values: flags } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, keys: { type: 'string', default: '100000' } } })
const ROUNDS = Number(flags.rounds)
const KEYS = Number(flags.keys)
const VERSIONS = 10

type Values = Record<string, string>

/** The table as each round finds it: the round number suffixes the columns that round changes. */
function definitionOf(values: Values): TableDefinition {
  return defineTable({ name: 'alter_bench', key: { id: 'integer' }, values })
}

const BASE: Values = { rate: 'numeric not null', note: 'text' }

/** One kind of change: the columns it starts from in round `round`, and where it takes them. */
interface Change {
  readonly name: string
  readonly before: (round: number) => Values
  readonly after: (round: number) => Values
  readonly options?: (round: number) => AlterTableOptions
}

const CHANGES: readonly Change[] = [
  { name: 'add a nullable column', before: () => ({}), after: (r) => ({ [`added_${r}`]: 'text' }) },
  {
    name: "add a column with a default, every version ('every-version')",
    before: () => ({}),
    after: (r) => ({ [`defaulted_${r}`]: "text not null default 'EUR'" }),
    options: (r) => ({ defaults: { [`defaulted_${r}`]: 'every-version' } }),
  },
  { name: 'widen varchar(20) to text (no rewrite)', before: (r) => ({ [`code_${r}`]: 'varchar(20)' }), after: (r) => ({ [`code_${r}`]: 'text' }) },
  { name: 'widen integer to bigint (rewrites the table)', before: (r) => ({ [`quantity_${r}`]: 'integer' }), after: (r) => ({ [`quantity_${r}`]: 'bigint' }) },
  {
    name: 'rename a column',
    before: (r) => ({ [`old_name_${r}`]: 'text' }),
    after: (r) => ({ [`new_name_${r}`]: 'text' }),
    options: (r) => ({ rename: { [`old_name_${r}`]: `new_name_${r}` } }),
  },
]

/** Every column any round of any change starts from, so that the table is built once with all of them filled. */
function startingColumns(): Values {
  const columns: Values = { ...BASE }
  for (const change of CHANGES) for (let round = 0; round < ROUNDS; round++) Object.assign(columns, change.before(round))
  return columns
}

function fillExpression(type: string): string {
  if (type.startsWith('integer')) return '(i * 7 + v) % 1000'
  return "'value ' || i || '.' || v"
}

async function buildTable(db: AnyKysely, columns: Values): Promise<void> {
  await install(db)
  await createTable(db, definitionOf(columns))
  const extra = Object.entries(columns).filter(([name]) => !(name in BASE))
  await sql
    .raw(
      `insert into alter_bench (id, rate, note${extra.map(([name]) => `, ${name}`).join('')}, effective)
       select i, round((i % 1000) / 100.0 + v, 2), 'entity ' || i || ' version ' || v${extra.map(([, type]) => `, ${fillExpression(type)}`).join('')},
         daterange((date '2024-01-01' + make_interval(months => v))::date,
                   case when v < ${VERSIONS - 1} then (date '2024-01-01' + make_interval(months => v + 1))::date end, '[)')
       from generate_series(1, ${KEYS}) as i, generate_series(0, ${VERSIONS - 1}) as v`,
    )
    .execute(db)
  await sql`vacuum analyze alter_bench`.execute(db)
}

/** Reads one key's current version in a loop until stopped; returns the longest read, in ms. */
function startProbe(url: string): { stop: () => Promise<number> } {
  const probe: AnyKysely = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) })
  const state = { running: true }
  let longest = 0
  const loop = (async () => {
    while (state.running) {
      const started = performance.now()
      await sql`select rate from alter_bench where id = 1 and upper_inf(system) order by lower(effective) desc limit 1`.execute(probe)
      longest = Math.max(longest, performance.now() - started)
    }
  })()
  return {
    stop: async () => {
      state.running = false
      await loop
      await probe.destroy()
      return longest
    },
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2
}

await withBenchConnection('alter_bench', async ({ db, url }) => {
  const started = performance.now()
  let current = startingColumns()
  await buildTable(db, current)
  console.log(`built alter_bench: ${KEYS.toLocaleString('en')} keys × ${VERSIONS} versions in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  const rows: string[] = []
  for (const change of CHANGES) {
    const calls: number[] = []
    const blocked: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const replaced = new Set(Object.keys(change.before(round)))
      const next: Values = { ...Object.fromEntries(Object.entries(current).filter(([name]) => !replaced.has(name))), ...change.after(round) }
      const probe = startProbe(url)
      await new Promise((resolve) => setTimeout(resolve, 200))
      const callStarted = performance.now()
      await alterTable(db, definitionOf(next), change.options?.(round))
      calls.push(performance.now() - callStarted)
      await new Promise((resolve) => setTimeout(resolve, 200))
      blocked.push(await probe.stop())
      current = next
    }
    rows.push(`| ${change.name} | ${median(calls).toFixed(0)} ms | ${median(blocked).toFixed(0)} ms |`)
  }
  console.log(`\nalterTable on ${(KEYS * VERSIONS).toLocaleString('en')} versions, medians of ${ROUNDS} rounds:\n`)
  console.log('| change | alterTable | longest blocked read |\n|---|---|---|')
  for (const row of rows) console.log(row)
})
