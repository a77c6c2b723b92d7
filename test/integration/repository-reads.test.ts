import { sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { install } from '../../src/install/install.js'
import { asOf } from '../../src/query/as-of.js'
import { asOfPlugin } from '../../src/query/as-of-plugin.js'
import { combineTimelines } from '../../src/read/combine-timelines.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'
import { instantToMicros, microsecondBefore } from '../support/timeline-model.js'

// docs/semantics.md §4: without validAt a read asks about today (the UTC
// calendar day), and without knownAt about current knowledge, not the clock's
// present instant.

const database = useTestDatabase()
const plans = defineTable({ name: 'plans', key: { id: 'integer' }, values: { tier: 'text not null' } })

/** Yesterday, today and tomorrow as UTC calendar days, by the server's clock. */
async function utcDays(): Promise<{ yesterday: string; today: string; tomorrow: string }> {
  const { rows } = await sql<{ yesterday: string; today: string; tomorrow: string }>`
    select to_char(d - 1, 'YYYY-MM-DD') as yesterday, to_char(d, 'YYYY-MM-DD') as today, to_char(d + 1, 'YYYY-MM-DD') as tomorrow
    from (select (now() at time zone 'UTC')::date as d) as utc`.execute(database().db)
  const [days] = rows
  if (days === undefined) throw new Error('no row')
  return days
}

beforeAll(async () => {
  await install(database().db)
  await createTable(database().db, plans)
})

describe('reads with their defaults', () => {
  it('asOf without validAt reads the version valid on the UTC day of today', async () => {
    const repo = bitemporal(database().db, plans)
    const { yesterday, today, tomorrow } = await utcDays()
    await repo.set({ id: 1 }, { from: yesterday, to: tomorrow }, { tier: 'covers today' })
    await repo.set({ id: 2 }, { from: yesterday, to: today }, { tier: 'ended at the start of today' })
    await repo.set({ id: 3 }, { from: tomorrow }, { tier: 'starts tomorrow' })
    await repo.set({ id: 4 }, { from: today }, { tier: 'starts today' })

    expect((await repo.asOf({ id: 1 }))?.values.tier).toBe('covers today')
    expect(await repo.asOf({ id: 2 })).toBeUndefined()
    expect(await repo.asOf({ id: 3 })).toBeUndefined()
    expect((await repo.asOf({ id: 4 }))?.values.tier).toBe('starts today')
  })

  it('without knownAt, reads current knowledge: a correction made a moment ago is what it sees', async () => {
    const repo = bitemporal(database().db, plans)
    const first = await repo.set({ id: 5 }, { from: '2020-01-01' }, { tier: 'basic' })
    const second = await repo.set({ id: 5 }, { from: '2020-01-01' }, { tier: 'premium' })
    expect((await repo.asOf({ id: 5 }, { validAt: '2021-01-01' }))?.values.tier).toBe('premium')
    expect((await repo.timeline({ id: 5 })).map((v) => [v.values.tier, v.system])).toEqual([
      ['premium', { from: second.systemTime, to: null }],
    ])
    expect((await repo.asOf({ id: 5 }, { validAt: '2021-01-01', knownAt: first.systemTime ?? '' }))?.values.tier).toBe('basic')
  })
})

describe('a Date as knownAt names a whole millisecond: its last microsecond (docs/semantics.md §5)', () => {
  const VALID_AT = '2021-01-01'
  /** A write on a fresh key whose system time is not on a whole millisecond, so a `Date` made from it drops microseconds. */
  let written: { readonly key: { readonly id: number }; readonly tier: string; readonly systemTime: string }

  beforeAll(async () => {
    const repo = bitemporal(database().db, plans)
    // One write in a thousand lands on a whole millisecond; the next key is tried then.
    for (let id = 100; id < 110; id++) {
      const tier = `written as ${String(id)}`
      const systemTime = (await repo.set({ id }, { from: '2020-01-01' }, { tier })).systemTime ?? ''
      if (instantToMicros(systemTime) % 1000n !== 0n) {
        written = { key: { id }, tier, systemTime }
        return
      }
    }
    throw new Error('ten writes in a row on a whole millisecond')
  })

  it('asOf: new Date(w.systemTime) returns the version w wrote; a string a microsecond before w, and the millisecond before, return nothing', async () => {
    const repo = bitemporal(database().db, plans)
    const date = new Date(written.systemTime)
    const seen = await repo.asOf(written.key, { validAt: VALID_AT, knownAt: date })
    expect(seen?.values).toEqual({ tier: written.tier })
    expect(seen?.system).toEqual({ from: written.systemTime, to: null })
    expect(await repo.asOf(written.key, { validAt: VALID_AT, knownAt: microsecondBefore(written.systemTime) })).toBeUndefined()
    expect(await repo.asOf(written.key, { validAt: VALID_AT, knownAt: new Date(date.getTime() - 1) })).toBeUndefined()
  })

  // Each read that takes knownAt, as the number of versions of the key it finds.
  const reads: readonly (readonly [string, (knownAt: Date | string) => Promise<number>])[] = [
    ['timeline', async (knownAt) => (await bitemporal(database().db, plans).timeline(written.key, { knownAt })).length],
    ['timeline over a window', async (knownAt) => (await bitemporal(database().db, plans).timeline(written.key, { knownAt, from: '2020-06-01', to: '2021-06-01' })).length],
    ['timeline coalesced', async (knownAt) => (await bitemporal(database().db, plans).timeline(written.key, { knownAt, coalesce: true })).length],
    [
      'repo.query',
      async (knownAt) =>
        (await bitemporal(database().db, plans).query({ validAt: VALID_AT, knownAt }).where('id', '=', written.key.id).selectAll().execute()).length,
    ],
    [
      'the asOf condition',
      async (knownAt) =>
        (await database().db.selectFrom('plans').where(asOf(plans, { validAt: VALID_AT, knownAt })).where('id', '=', written.key.id).selectAll().execute()).length,
    ],
    [
      'asOfPlugin',
      async (knownAt) =>
        (
          await database()
            .db.withPlugin(asOfPlugin({ tables: [plans], validAt: VALID_AT, knownAt }))
            .selectFrom('plans')
            .where('id', '=', written.key.id)
            .selectAll()
            .execute()
        ).length,
    ],
    [
      'combineTimelines',
      async (knownAt) => (await combineTimelines(database().db, { left: { table: plans, key: written.key }, right: { table: plans, key: written.key }, knownAt })).length,
    ],
  ]

  it.each(reads)('%s: new Date(w.systemTime) sees w; a string a microsecond before w does not', async (_, read) => {
    expect(await read(new Date(written.systemTime))).toBe(1)
    expect(await read(microsecondBefore(written.systemTime))).toBe(0)
    expect(await read(written.systemTime)).toBe(1)
  })
})
