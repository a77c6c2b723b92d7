import type { Repository, WriteResult } from '../../src/repository/repository.js'
import { defineTable } from '../../src/schema/define-table.js'

/**
 * One fixed sequence of writes and reads (docs/semantics.md §5), run by
 * test/integration/repository-time-zones.test.ts under several sessions,
 * type parsers and process time zones, in-process and in a child process
 * (test/support/time-zone-child.ts). Its normalised result must not depend
 * on any of them.
 */
export function zoneTable(name: string) {
  return defineTable({
    name,
    key: { id: 'bigint', region: 'text' },
    values: {
      rate: 'numeric',
      starts: 'date',
      at: 'timestamptz',
      local: 'timestamp',
      flag: 'boolean',
      count: 'integer not null default 0',
      // An array's text follows DateStyle and TimeZone: the library formats its elements itself.
      days: 'date[]',
      instants: 'timestamptz[]',
      locals: 'timestamp[]',
    },
  })
}

export type ZoneTable = ReturnType<typeof zoneTable>

/** 2^53 + 1: not a safe integer, so it only survives as a string. */
export const ZONE_KEY = { id: '9007199254740993', region: 'np' } as const

/** A float64 cannot hold it: it round-trips only as text. */
export const LONG_NUMERIC = '0.1000000000000000055511151231257827'

export interface ScenarioResult {
  readonly writes: readonly WriteResult[]
  readonly reads: Readonly<Record<string, unknown>>
}

/** `instant` (…Z) written with the +05:45 offset of Kathmandu, microseconds kept. */
export function inKathmandu(instant: string): string {
  const [whole = '', micros = '000000'] = instant.replace(/Z$/, '').split('.')
  const shifted = new Date(Date.parse(`${whole}Z`) + (5 * 60 + 45) * 60_000).toISOString().slice(0, 19)
  return `${shifted}.${micros}+05:45`
}

/** The writes and reads, with `Date` inputs where a local-time bug would show (late in the UTC day, or at UTC midnight). */
export async function runZoneScenario(repo: Repository<ZoneTable>): Promise<ScenarioResult> {
  const key = { ...ZONE_KEY }
  const writes: WriteResult[] = []
  writes.push(
    await repo.set(key, { from: '2023-01-01' }, {
      rate: LONG_NUMERIC,
      starts: '2023-01-01',
      at: '2023-01-01T00:00:00.123456Z',
      local: '2023-01-01 00:00:00.5',
      flag: true,
      count: 1,
      days: ['2023-01-31', null],
      instants: ['2023-01-01T05:45:00.000001+05:45'],
      locals: ['2023-01-01 23:00:00'],
    }),
  )
  // 23:30 UTC on Mar 1 is already Mar 2 at UTC+14 and still Mar 1 at UTC-3:30: the day must be Mar 1.
  writes.push(
    await repo.set(key, { from: new Date('2023-03-01T23:30:00Z') }, {
      rate: '0.2',
      starts: '2023-03-01',
      at: '2023-03-01T23:30:00+05:45',
      local: '2023-03-01T23:30:00',
      flag: false,
      count: 2,
    }),
  )
  // UTC midnight is the previous day west of Greenwich.
  writes.push(await repo.update(key, { from: new Date('2023-02-01T00:00:00Z'), to: '2023-04-01' }, { rate: '0.3' }))
  writes.push(await repo.correct(key, { at: '2023-02-15' }, { count: 3, at: '2023-02-15T12:00:00+05:45' }))
  writes.push(await repo.delete(key, { from: '2023-06-01', to: new Date('2023-07-01T00:00:00.000Z') }))
  const inserted = {
    rate: '-12345678901234567890.123456789',
    starts: '2023-06-01',
    local: '2023-06-01 12:34:56.789012',
    flag: null,
    count: 4,
  }
  writes.push(await repo.insert(key, { from: '2023-06-01', to: '2023-06-15' }, inserted))
  // The same values again: a no-op.
  writes.push(await repo.set(key, { from: '2023-06-01', to: '2023-06-15' }, inserted))

  const times = writes.map((w) => w.systemTime).filter((t): t is string => t !== null)
  const first = times[0] ?? ''
  const second = times[1] ?? ''
  const reads: Record<string, unknown> = {
    asOfFeb20: await repo.asOf(key, { validAt: '2023-02-20' }),
    asOfJun10LateUtc: await repo.asOf(key, { validAt: new Date('2023-06-10T23:59:59Z') }),
    asOfMay1KnownAtFirst: await repo.asOf(key, { validAt: '2023-05-01', knownAt: first }),
    asOfMay1KnownAtSecondInKathmandu: await repo.asOf(key, { validAt: '2023-05-01', knownAt: inKathmandu(second) }),
    asOfToday: await repo.asOf(key),
    timeline: await repo.timeline(key),
    timelines: await Promise.all(times.map((knownAt) => repo.timeline(key, { knownAt }))),
    history: await repo.history(key),
    lastChange: await repo.lastChange(key),
  }
  return { writes, reads }
}

/** Counts `Date` objects anywhere in `value`. */
export function countDates(value: unknown): number {
  if (value instanceof Date) return 1
  if (Array.isArray(value)) return value.reduce((n: number, v: unknown) => n + countDates(v), 0)
  if (typeof value === 'object' && value !== null) return Object.values(value).reduce((n: number, v: unknown) => n + countDates(v), 0)
  return 0
}

const SYSTEM_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/

/**
 * The result with every system time replaced by `T<i>`, its rank among the
 * writes' system times, so that runs at different instants compare equal.
 * A system time that is not one of the writes' is left as `unknown <value>`.
 */
export function normalise(result: ScenarioResult): unknown {
  const times = [...new Set(result.writes.map((w) => w.systemTime).filter((t): t is string => t !== null))].sort()
  const name = (t: unknown): unknown => {
    if (t === null || t === undefined) return null
    if (typeof t !== 'string') return `not a string: ${typeof t}`
    const index = times.indexOf(t)
    return index >= 0 && SYSTEM_TIME.test(t) ? `T${String(index)}` : `unknown ${t}`
  }
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk)
    if (typeof value !== 'object' || value === null) return value
    const entries = Object.entries(value).map(([k, v]) => {
      if (k === 'system' && typeof v === 'object' && v !== null) {
        const range = v as { from?: unknown; to?: unknown }
        return [k, { from: name(range.from), to: name(range.to) }]
      }
      if (k === 'systemTime' || k === 'lastChange') return [k, name(v)]
      return [k, walk(v)]
    })
    return Object.fromEntries(entries)
  }
  return walk(result)
}
