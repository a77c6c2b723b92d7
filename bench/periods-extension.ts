import { execFileSync } from 'node:child_process'
import { CompiledQuery, sql } from 'kysely'
import type { AnyKysely } from '../src/index.js'
import type { TestServer } from '../src/testing/index.js'
import { EntityQueue, NAMES, UPDATE_PORTION } from './contenders.js'
import type { Contender } from './measure.js'
import type { Random } from './random.js'

/** Whether the periods extension could be measured, and if not, why. */
export type PeriodsStatus =
  | { readonly measured: true; readonly how: string; readonly contender: Contender }
  | { readonly measured: false; readonly reason: string }

/** How the periods table is set up, for the report (the reasons are at SETUP). */
export const PERIODS_SETUP =
  "Its table `rates_periods` holds the same rows as `rates`: an application period `validity` (`valid_from`, `valid_to`, `infinity` for an open end), a `SYSTEM_TIME` period with system versioning (closed rows go to `rates_periods_history`, indexed by `(id, system_time_start)`), and the `FOR PORTION OF` view, updated with `SET rate = $1, valid_from = $2, valid_to = $3 WHERE id = $4` and the portion in the WHERE, so its trigger runs once. Two departures from the extension's own `add_unique_key`, without which no split works: the overlap constraint is declared `deferrable initially immediate` (the view's trigger inserts the leftovers before it shrinks the old row, so the non-deferrable constraint `add_unique_key` makes fails every split with 23P01), and the primary key is a surrogate identity column (the trigger leaves primary-key columns out of the leftovers)"

const TABLE = 'rates_periods'
const VIEW = `${TABLE}__for_portion_of_validity`

/**
 * The table the periods extension compares on: the same rows as `rates`,
 * with an application period `validity` (two date columns, `infinity` for an
 * open end) and a `SYSTEM_TIME` period with system versioning (closed rows
 * move to `rates_periods_history`), and the `FOR PORTION OF` view.
 *
 * Two departures from `periods.add_unique_key`, both needed for a portion
 * update to work at all: the view's trigger inserts the leftovers *before*
 * it shrinks the old row and defers constraints to cope, but
 * `add_unique_key` makes a non-deferrable exclusion constraint (and refuses
 * a deferrable one), so every split fails with 23P01. The overlap constraint
 * is declared here `deferrable initially immediate` instead, with the btree
 * unique key `add_unique_key` would add. The view's trigger also leaves out
 * primary-key columns when it inserts leftovers, so the primary key is a
 * surrogate identity column. The history table gets an index by key, as the
 * extension's notice asks.
 */
const SETUP = [
  'create extension if not exists periods cascade',
  `create table ${TABLE} (
    row_id bigint generated always as identity primary key,
    id integer not null, rate numeric not null, note text,
    valid_from date not null, valid_to date not null,
    constraint ${TABLE}_no_overlap exclude using gist (id with =, daterange(valid_from, valid_to, '[)') with &&) deferrable initially immediate,
    unique (id, valid_from, valid_to))`,
  `select periods.add_period('${TABLE}', 'validity', 'valid_from', 'valid_to')`,
  `select periods.add_system_time_period('${TABLE}')`,
  `select periods.add_system_versioning('${TABLE}')`,
  `create index on ${TABLE}_history (id, system_time_start)`,
  `select periods.add_for_portion_view('${TABLE}', 'validity')`,
  `insert into ${TABLE} (id, rate, note, valid_from, valid_to)
    select id, rate, note, lower(effective), coalesce(upper(effective), 'infinity') from rates`,
  `vacuum analyze ${TABLE}`,
]

/**
 * The UPDATE standard SQL would write as `UPDATE rates FOR PORTION OF
 * validity FROM $2 TO $3 SET rate = $1 WHERE id = $4`; the `where` also
 * names the portion, so the view's trigger runs for the one row it splits,
 * not for each of the entity's rows.
 */
const PORTION_UPDATE = `UPDATE ${VIEW} SET rate = $1, valid_from = $2, valid_to = $3 WHERE id = $4 AND valid_from < $3 AND valid_to > $2`

/**
 * Sets up the periods extension in the bench database, from the Debian
 * package `postgresql-15-periods`, which is installed with apt when the
 * bench runs as root against a PostgreSQL 15 on this machine; elsewhere it
 * is used only if the server already has it.
 */
export async function setUpPeriods(db: AnyKysely, server: TestServer, random: Random): Promise<PeriodsStatus> {
  let how = 'already available on the server'
  if (!(await available(db))) {
    const local = isLocal15(server)
    if (local !== true) return { measured: false, reason: `the server does not have the extension, and the bench installs it only ${local}` }
    try {
      execFileSync('apt-get', ['install', '-y', 'postgresql-15-periods'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
    } catch (error) {
      return { measured: false, reason: `apt-get install -y postgresql-15-periods failed: ${String(error)}` }
    }
    if (!(await available(db))) return { measured: false, reason: 'postgresql-15-periods was installed, but the server does not list the extension' }
    how = 'installed by the bench with `apt-get install -y postgresql-15-periods`'
  }
  for (const statement of SETUP) await sql.raw(statement).execute(db)
  const { rows } = await sql<{ version: string }>`select extversion as version from pg_extension where extname = 'periods'`.execute(db)
  const entities = new EntityQueue(random)
  await check(db, entities.take())
  let rate = 40
  return {
    measured: true,
    how: `periods ${rows[0]?.version ?? '?'}, ${how}`,
    contender: {
      name: NAMES.periodsUpdate,
      run: async () => {
        rate = rate >= 49 ? 40 : rate + 0.01
        const parameters = [rate.toFixed(4), UPDATE_PORTION.from, UPDATE_PORTION.to, entities.take()]
        await db.executeQuery(CompiledQuery.raw(PORTION_UPDATE, parameters))
      },
    },
  }
}

async function available(db: AnyKysely): Promise<boolean> {
  const { rows } = await sql`select 1 from pg_available_extensions where name = 'periods'`.execute(db)
  return rows.length > 0
}

/** `true` for a PostgreSQL 15 on this machine with the bench running as root; else what is missing. */
function isLocal15(server: TestServer): true | string {
  const host = new URL(server.url).hostname
  if (server.serverVersion !== 15) return `for the local PostgreSQL 15 (this server is ${String(server.serverVersion)})`
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) return `on the local server (this one is on ${host})`
  if (process.getuid?.() !== 0) return 'when it runs as root (apt-get)'
  return true
}

/** One portion update through the view must split the version as the repository's update does: 3 rows for 1. */
async function check(db: AnyKysely, id: number): Promise<void> {
  await db.executeQuery(CompiledQuery.raw(PORTION_UPDATE, ['45', UPDATE_PORTION.from, UPDATE_PORTION.to, id]))
  const { rows } = await sql<{ current: string; history: string }>`
    select (select count(*) from ${sql.table(TABLE)} where id = ${id})::text as current,
      (select count(*) from ${sql.table(`${TABLE}_history`)} where id = ${id})::text as history`.execute(db)
  if (rows[0]?.current !== '7' || rows[0].history !== '1') {
    throw new Error(`bench: the periods portion update left ${String(rows[0]?.current)} current and ${String(rows[0]?.history)} history rows, not 7 and 1`)
  }
}
