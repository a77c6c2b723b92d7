import { sql } from 'kysely'
import { createTable, defineTable, install, type AnyKysely } from '../src/index.js'

/** The bitemporal table under test. */
export const rates = defineTable({
  name: 'rates',
  key: { id: 'integer' },
  values: { rate: 'numeric not null', note: 'text' },
})

export const ENTITIES = 20_000
/** Versions per entity: one per month of 2024, January to May; May's runs on unbounded. */
export const VERSIONS = 5

/** `[first day of month m, first day of month m + 1)` of 2024, 0-based `m`, as `YYYY-MM-DD`. */
export function monthStart(month: number): string {
  return new Date(Date.UTC(2024, month, 1)).toISOString().slice(0, 10)
}

/** A day of 2024, 0-based `month`, 1-based `day`. */
export function day(month: number, dayOfMonth: number): string {
  return new Date(Date.UTC(2024, month, dayOfMonth)).toISOString().slice(0, 10)
}

/** The rate version `version` (0-based month) of entity `id` was built with; the SQL below computes the same. */
export function builtRate(id: number, version: number): string {
  return ((id % 1000) / 100 + version).toFixed(2)
}

/**
 * Creates and fills both tables: `rates` (bitemporal, `ENTITIES` × `VERSIONS`
 * current rows, recorded in one transaction) and `plain` (one row per
 * entity), then vacuums and analyzes them. Returns the system time the
 * history was recorded at, for reads in past knowledge.
 */
export async function buildTables(db: AnyKysely): Promise<{ recordedAt: string }> {
  await install(db)
  await createTable(db, rates)
  await fillVersions(db, rates.name)
  await createPlainTable(db)
  const { rows } = await sql<{ recorded_at: string }>`
    select bitemporal.format_system_time(max(lower(system))) as recorded_at from rates`.execute(db)
  const recordedAt = rows[0]?.recorded_at
  if (recordedAt === undefined) throw new Error('bench: the rates table is empty after loading')
  return { recordedAt }
}

/**
 * Fills a table shaped like `rates` (created empty by `createTable`) with
 * `ENTITIES` × `VERSIONS` current versions, in one transaction, and
 * vacuums and analyzes it.
 */
export async function fillVersions(db: AnyKysely, table: string): Promise<void> {
  await sql`
    insert into ${sql.table(table)} (id, rate, note, effective)
    select i, round((i % 1000) / 100.0 + v, 2), 'entity ' || i || ' version ' || v,
      daterange((date '2024-01-01' + make_interval(months => v))::date,
                case when v < ${sql.lit(VERSIONS - 1)} then (date '2024-01-01' + make_interval(months => v + 1))::date end, '[)')
    from generate_series(1, ${sql.lit(ENTITIES)}) as i, generate_series(0, ${sql.lit(VERSIONS - 1)}) as v`.execute(db)
  await sql`vacuum analyze ${sql.table(table)}`.execute(db)
}

/** The baseline: `plain`, one row per entity, vacuumed and analyzed. */
export async function createPlainTable(db: AnyKysely): Promise<void> {
  await sql`create table plain (id integer primary key, rate numeric not null, note text)`.execute(db)
  await sql`
    insert into plain (id, rate, note)
    select i, round((i % 1000) / 100.0, 2), 'entity ' || i from generate_series(1, ${sql.lit(ENTITIES)}) as i`.execute(db)
  await sql`vacuum analyze plain`.execute(db)
}
