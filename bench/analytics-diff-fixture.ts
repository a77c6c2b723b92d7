import { sql } from 'kysely'
import type { AnyKysely } from '../src/any-kysely.js'
import { install } from '../src/install/index.js'
import { createTable, defineTable } from '../src/schema/index.js'

/** The table the diff bench reads: 100,000 keys × 10 versions. */
export const diffSubscriptions = defineTable({
  name: 'diff_subscriptions',
  key: { id: 'integer' },
  values: { status: 'text not null', mrr: 'numeric not null' },
})

export const DIFF_KEYS = 100_000
export const DIFF_VERSIONS = 10
/** Every hundredth key is corrected on the day: 1% of keys. */
export const CHANGED_EVERY = 100

/** System time of the first row; row g was asserted `g × 5 s` later (1M rows: 58 days). */
export const DIFF_BASE = '2024-01-01T00:00:00Z'
/** The day of the corrections, after every row of the load: `[DAY, DAY + 1 day)`. */
export const DIFF_DAY = '2024-03-01T00:00:00Z'
export const DIFF_NEXT_DAY = '2024-03-02T00:00:00Z'
/** A key corrected on the day, and one that was not. */
export const CHANGED_KEY = 4200
export const UNTOUCHED_KEY = 4242

const timestamp = (instant: string): string => `timestamp '${instant.slice(0, -1)}'`

/**
 * Creates the table with `createTable` (indexes before the load, as in
 * production), fills it with one `INSERT … SELECT generate_series`: key
 * g % 100k, version g / 100k with disjoint 30-day effective ranges from
 * 2020-01-01 (the last open-ended), one version in three `paused`, asserted
 * one row every 5 s. Then the day's corrections: for 1% of keys, version 5
 * is retracted at an instant of the day (86 s apart) and its replacement,
 * with one more of mrr, asserted at that instant. Explicit system ranges are
 * what the insert trigger refuses, and closing them by hand what the history guard refuses: both are off for the load. Also makes
 * `plain_subscriptions`, the same current rows in a plain table without
 * system time or indexes, for the `count(*)` baseline. Then ANALYZE.
 */
export async function loadDiffFixture(db: AnyKysely): Promise<void> {
  await install(db)
  await createTable(db, diffSubscriptions)
  const keys = String(DIFF_KEYS)
  const corrected = `g.id % ${String(CHANGED_EVERY)} = 0`
  const correctedAt = `${timestamp(DIFF_DAY)} + (g.id / ${String(CHANGED_EVERY)}) * interval '86 seconds'`
  await sql
    .raw(
      `alter table diff_subscriptions disable trigger diff_subscriptions_check_inserted_system;
      alter table diff_subscriptions disable trigger diff_subscriptions_guard_history;
      insert into diff_subscriptions (id, status, mrr, effective, system)
      select g % ${keys}, case when (g / ${keys}) % 3 = 0 then 'paused' else 'active' end, 10 + g % 90,
             daterange(date '2020-01-01' + (g / ${keys}) * 30,
                       case when g / ${keys} < ${String(DIFF_VERSIONS - 1)} then date '2020-01-01' + (g / ${keys} + 1) * 30 end),
             tsrange(${timestamp(DIFF_BASE)} + g * interval '5 seconds', null)
      from generate_series(0, ${String(DIFF_KEYS * DIFF_VERSIONS - 1)}) as g;
      create temporary table corrections as
      select g.id, ${correctedAt} as at from generate_series(0, ${String(DIFF_KEYS - 1)}) as g(id) where ${corrected};
      update diff_subscriptions as s set system = tsrange(lower(s.system), c.at)
      from corrections as c
      where c.id = s.id and lower(s.effective) = date '2020-01-01' + 5 * 30 and lower(s.system) < c.at;
      insert into diff_subscriptions (id, status, mrr, effective, system)
      select s.id, s.status, s.mrr + 1, s.effective, tsrange(c.at, null)
      from diff_subscriptions as s join corrections as c on c.id = s.id
      where lower(s.effective) = date '2020-01-01' + 5 * 30 and upper(s.system) = c.at;
      alter table diff_subscriptions enable trigger diff_subscriptions_check_inserted_system;
      alter table diff_subscriptions enable trigger diff_subscriptions_guard_history;
      create table plain_subscriptions as select id, status, mrr, effective from diff_subscriptions where upper_inf(system);
      analyze diff_subscriptions;
      analyze plain_subscriptions;`,
    )
    .execute(db)
}
