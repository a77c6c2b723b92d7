import { sql } from 'kysely'
import type { AnyKysely } from '../src/any-kysely.js'
import { install } from '../src/install/index.js'
import { createTable, defineTable } from '../src/schema/index.js'

/** The table with 1M versions: every read is planned against it. */
export const subscriptions = defineTable({
  name: 'subscriptions',
  key: { id: 'integer' },
  values: { customer_id: 'integer not null', product_id: 'integer not null', seats: 'integer not null' },
})
/** The second and third temporal tables, for the three-table join and combineTimelines. */
export const customers = defineTable({ name: 'customers', key: { id: 'integer' }, values: { name: 'text not null' } })
export const products = defineTable({ name: 'products', key: { id: 'integer' }, values: { price: 'numeric not null' } })

export const KEYS = 100_000
export const VERSIONS = 10
/** Versions per key of customers and products. */
export const SIDE_VERSIONS = 2

/** System time of the first row; row g of subscriptions was asserted `g × 10 s` later (1M rows: 116 days). */
export const BASE = '2024-01-01T00:00:00Z'
const BASE_TS = `timestamp '${BASE.slice(0, -1)}'`

/** The system time at which row `g` of subscriptions was asserted, as an ISO instant. */
export function assertedAt(g: number): string {
  return new Date(Date.parse(BASE) + g * 10_000).toISOString()
}

/** The first day of version `v`'s effective range: versions are 30 days long from 2020-01-01. */
export function versionStart(v: number): string {
  return new Date(Date.UTC(2020, 0, 1) + v * 30 * 86_400_000).toISOString().slice(0, 10)
}

export interface LoadTimes {
  readonly table: string
  readonly rows: number
  readonly seconds: number
}

/**
 * Creates the three tables with `createTable` (its indexes exist before the
 * load, as in production) and fills each with one `INSERT … SELECT
 * generate_series`, then ANALYZE.
 *
 * subscriptions: key g % 100k, version g / 100k with disjoint 30-day
 * effective ranges (the last one open-ended), asserted one row every 10 s;
 * even versions were retracted an hour after they were asserted (half the
 * table is closed in system time), so a past `knownAt` sees rows that
 * current knowledge does not, and the other way round. customers and
 * products: two versions per key (before and from 2022), asserted one row
 * every 50 s over the same months, none retracted.
 *
 * Explicit system ranges are what the insert trigger refuses (writes get
 * the transaction's time): it is disabled for the load and re-enabled.
 */
export async function loadTables(db: AnyKysely, log: (message: string) => void): Promise<LoadTimes[]> {
  await install(db)
  const times: LoadTimes[] = []
  const load = async (table: string, rows: number, insert: string): Promise<void> => {
    const started = process.hrtime.bigint()
    await sql.raw(`alter table ${table} disable trigger ${table}_check_inserted_system;
      ${insert};
      alter table ${table} enable trigger ${table}_check_inserted_system;
      analyze ${table};`).execute(db)
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    log(`loaded ${table}: ${String(rows)} rows in ${seconds.toFixed(1)} s`)
    times.push({ table, rows, seconds })
  }
  for (const definition of [subscriptions, customers, products]) await createTable(db, definition)
  const total = KEYS * VERSIONS
  await load('subscriptions', total, `
    insert into subscriptions (id, customer_id, product_id, seats, effective, system)
    select g % ${String(KEYS)}, (g * 7) % ${String(KEYS)}, (g * 13) % ${String(KEYS)}, 1 + g % 50,
           daterange(date '2020-01-01' + (g / ${String(KEYS)}) * 30,
                     case when g / ${String(KEYS)} < ${String(VERSIONS - 1)} then date '2020-01-01' + (g / ${String(KEYS)} + 1) * 30 end),
           tsrange(${BASE_TS} + g * interval '10 seconds',
                   case when (g / ${String(KEYS)}) % 2 = 0 then ${BASE_TS} + g * interval '10 seconds' + interval '1 hour' end)
    from generate_series(0, ${String(total - 1)}) as g`)
  const side = (table: string, value: string): string => `
    insert into ${table} (id, ${value}, effective, system)
    select g % ${String(KEYS)}, ${value === 'name' ? `'customer ' || g` : '10 + g % 1000'},
           case when g < ${String(KEYS)} then daterange('2020-01-01', '2022-01-01') else daterange('2022-01-01', null) end,
           tsrange(${BASE_TS} + g * interval '50 seconds', null)
    from generate_series(0, ${String(KEYS * SIDE_VERSIONS - 1)}) as g`
  await load('customers', KEYS * SIDE_VERSIONS, side('customers', 'name'))
  await load('products', KEYS * SIDE_VERSIONS, side('products', 'price'))
  return times
}
