import { sql } from 'kysely'
import { createTable, defineTable, type AnyKysely } from '../src/index.js'
import type { HistorySize } from './bench-plan.js'

/** A bitemporal table of the history-length comparison, with its plain counterparts. */
export interface HistoryTable {
  readonly definition: ReturnType<typeof historyDefinition>
  readonly size: HistorySize
  /** Primary key `id`, `plainRows` rows: the non-temporal table a key lookup is compared with. */
  readonly plain: string
  readonly plainRows: number
  /** When the rows were recorded (one transaction), for reads in past knowledge. */
  readonly recordedAt: string
}

export function historyDefinition(name: string) {
  return defineTable({ name, key: { id: 'integer' }, values: { rate: 'numeric not null', note: 'text' } })
}

/** `YYYY-MM-DD` of day `dayOfMonth` (1-based) of month `month` counted from January 2024 (0-based, may exceed 11). */
export function monthDay(month: number, dayOfMonth = 1): string {
  return new Date(Date.UTC(2024, month, dayOfMonth)).toISOString().slice(0, 10)
}

/**
 * Creates `name` (the library's DDL, all indexes) with `size.entities` keys
 * of `size.versions` monthly versions each from January 2024, the last
 * unbounded, all in one transaction, and `name_plain` with `plainRows`
 * rows (one per key, or more: see the history-length comparison); vacuums
 * and analyzes both.
 */
export async function buildHistoryTable(db: AnyKysely, name: string, size: HistorySize, plainRows = size.entities): Promise<HistoryTable> {
  const definition = historyDefinition(name)
  await createTable(db, definition)
  const table = sql.table(name)
  const plain = `${name}_plain`
  await sql`
    insert into ${table} (id, rate, note, effective)
    select i, round((i % 1000) / 100.0 + v, 2), 'entity ' || i || ' version ' || v,
      daterange((date '2024-01-01' + make_interval(months => v))::date,
                case when v < ${sql.lit(size.versions - 1)} then (date '2024-01-01' + make_interval(months => v + 1))::date end, '[)')
    from generate_series(1, ${sql.lit(size.entities)}) as i, generate_series(0, ${sql.lit(size.versions - 1)}) as v`.execute(db)
  await sql`create table ${sql.table(plain)} (id integer primary key, rate numeric not null, note text)`.execute(db)
  await sql`
    insert into ${sql.table(plain)} (id, rate, note)
    select i, round((i % 1000) / 100.0, 2), 'entity ' || i from generate_series(1, ${sql.lit(plainRows)}) as i`.execute(db)
  await sql`vacuum analyze ${table}`.execute(db)
  await sql`vacuum analyze ${sql.table(plain)}`.execute(db)
  const { rows } = await sql<{ recorded_at: string }>`
    select bitemporal.format_system_time(max(lower(system))) as recorded_at from ${table}`.execute(db)
  const recordedAt = rows[0]?.recorded_at
  if (recordedAt === undefined) throw new Error(`bench: ${name} is empty after loading`)
  return { definition, size, plain, plainRows, recordedAt }
}

/** The entity with a long timeline: its key, and the plain table of the same rows. */
export interface LongTimeline {
  readonly id: number
  readonly versions: number
  /** `(id, valid_from)` primary key, `valid_to`, `rate`, `note`: the same versions in a non-temporal table. */
  readonly plain: string
  readonly recordedAt: string
}

/**
 * Adds one entity with `versions` monthly versions to `table` (a key no
 * other entity has), and the same rows to a plain table keyed by
 * `(id, valid_from)`, for timeline reads.
 */
export async function addLongTimeline(db: AnyKysely, table: HistoryTable, versions: number): Promise<LongTimeline> {
  const id = table.size.entities + 1
  const plain = `${table.definition.name}_series`
  const rows = sql`
    select ${sql.lit(id)} as id, round(v / 100.0, 2) as rate, 'version ' || v as note,
      (date '2024-01-01' + make_interval(months => v))::date as valid_from,
      case when v < ${sql.lit(versions - 1)} then (date '2024-01-01' + make_interval(months => v + 1))::date end as valid_to
    from generate_series(0, ${sql.lit(versions - 1)}) as v`
  await sql`insert into ${sql.table(table.definition.name)} (id, rate, note, effective) select id, rate, note, daterange(valid_from, valid_to, '[)') from (${rows}) as r`.execute(db)
  await sql`create table ${sql.table(plain)} (id integer, valid_from date, valid_to date, rate numeric not null, note text, primary key (id, valid_from))`.execute(db)
  await sql`insert into ${sql.table(plain)} (id, valid_from, valid_to, rate, note) select id, valid_from, valid_to, rate, note from (${rows}) as r`.execute(db)
  await sql`vacuum analyze ${sql.table(table.definition.name)}`.execute(db)
  await sql`vacuum analyze ${sql.table(plain)}`.execute(db)
  const { rows: recorded } = await sql<{ recorded_at: string }>`
    select bitemporal.format_system_time(max(lower(system))) as recorded_at from ${sql.table(table.definition.name)} where id = ${id}`.execute(db)
  return { id, versions, plain, recordedAt: recorded[0]?.recorded_at ?? table.recordedAt }
}
