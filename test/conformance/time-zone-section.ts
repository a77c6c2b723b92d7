import { bitemporal, createTable, defineTable } from 'bitemporal'
import { sql } from 'kysely'
import type { OpenDatabase } from './drivers.js'

const events = defineTable({
  name: 'zone_events',
  key: { id: 'bigint' },
  values: { at: 'timestamptz not null', starts: 'date not null', amount: 'numeric not null' },
})

/** What the time-zone scenario read back; system times are replaced by their rank. */
export interface ZoneResult {
  /** The process's offset from UTC in minutes, and the session TimeZone, as this run saw them. */
  readonly premise: { readonly processOffsetMinutes: number; readonly sessionTimeZone: string }
  readonly read: unknown
}

/**
 * docs/semantics.md §5: nothing depends on the process TZ or the session
 * TimeZone. Writes a `Date` that falls on different days in different zones,
 * a timestamptz with microseconds, a date and a long numeric, and reads them
 * back; the runner compares what one run in UTC and one in other zones read.
 *
 * @example
 * const { premise, read } = await runZoneScenario(open)
 */
export async function runZoneScenario(open: OpenDatabase): Promise<ZoneResult> {
  await createTable(open.db, events)
  const repo = bitemporal(open.db, events)
  const key = { id: '9007199254740993' }
  const first = await repo.set(key, { from: '2023-01-01' }, { at: '2023-01-01T00:00:00.123456Z', starts: '2023-01-01', amount: '0.1000000000000000055511151231257827' })
  // 23:30 UTC on Mar 1 is already Mar 2 at UTC+14: the day must be Mar 1.
  const second = await repo.set(key, { from: new Date('2023-03-01T23:30:00Z') }, { at: '2023-03-01T23:30:00+05:45', starts: '2023-03-01', amount: '2' })
  const times = [first.systemTime, second.systemTime]
  const rank = (instant: string | null): string | null => (instant === null ? null : `T${String(times.indexOf(instant) + 1)}`)
  const history = (await repo.history(key)).map((version) => [version.key, version.values, version.effective, rank(version.system.from), rank(version.system.to)])
  const onDate = await repo.asOf(key, { validAt: new Date('2023-02-28T23:30:00Z'), knownAt: new Date(String(first.systemTime)) })
  const zone = await sql<{ zone: string }>`select current_setting('TimeZone') as zone`.execute(open.db)
  return {
    premise: { processOffsetMinutes: -new Date('2023-01-01T00:00:00Z').getTimezoneOffset(), sessionTimeZone: zone.rows[0]?.zone ?? '' },
    read: { history, onDate: onDate?.values ?? null },
  }
}
