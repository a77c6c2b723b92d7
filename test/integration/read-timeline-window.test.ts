import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import type { Repository, WriteResult } from '../../src/repository/repository.js'
import type { Version } from '../../src/codec/decode-version.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable, type TableDefinition } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'
import { type LoggedKysely, loggedKysely } from '../support/logged-kysely.js'
import { rejectsWithCode } from '../support/rejects-with-code.js'

// Issue 4, item 5: timeline restricted to a valid-time window [from, to),
// versions clamped to it, and coalesce: true merging adjacent equal versions.

const database = useTestDatabase()

const plans = defineTable({ name: 'plans', key: { id: 'integer' }, values: { tier: 'text not null', seats: 'integer' } })
const audited = defineTable({ name: 'audited_plans', key: { id: 'integer' }, values: { tier: 'text not null' }, audit: true })
const bookings = defineTable({ name: 'bookings', key: { room: 'text' }, values: { guest: 'text' }, effective: 'timestamp' })

let repo: Repository<typeof plans>
let logged: LoggedKysely
/** System times of the writes to key 1, by name. */
const at: Record<string, string> = {}

function systemTime(result: WriteResult): string {
  if (result.systemTime === null) throw new Error('the setup write changed nothing')
  return result.systemTime
}

/** A version as [from, to, values…]: what a window or coalescing changes. */
const rows = <D extends TableDefinition>(versions: readonly Version<D>[]): unknown[][] =>
  versions.map((v) => [v.effective.from, v.effective.to, ...Object.values(v.values)])

beforeAll(async () => {
  await install(database().db)
  await createTable(database().db, plans)
  await createTable(database().db, audited)
  await createTable(database().db, bookings)
  logged = loggedKysely(database().url)
  repo = bitemporal(logged.db, plans)
  // Key 1, current timeline (each set over a gap adds its own row):
  //   [01-01, 02-01) basic · [02-01, 03-01) basic · [03-01, 04-01) pro · gap · [05-01, 06-01) pro · [06-01, ) pro
  at['first'] = systemTime(await repo.set({ id: 1 }, { from: '2023-01-01', to: '2023-02-01' }, { tier: 'basic' }))
  at['second'] = systemTime(await repo.set({ id: 1 }, { from: '2023-02-01', to: '2023-03-01' }, { tier: 'basic' }))
  await repo.set({ id: 1 }, { from: '2023-03-01', to: '2023-04-01' }, { tier: 'pro' })
  await repo.set({ id: 1 }, { from: '2023-05-01', to: '2023-06-01' }, { tier: 'pro' })
  at['last'] = systemTime(await repo.set({ id: 1 }, { from: '2023-06-01' }, { tier: 'pro' }))
})

afterAll(async () => {
  await logged.db.destroy()
})

beforeEach(() => {
  logged.sent.length = 0
})

describe('the setup', () => {
  it('has the rows the other tests cut and merge, adjacent equal ones included', async () => {
    expect(rows(await repo.timeline({ id: 1 }))).toEqual([
      ['2023-01-01', '2023-02-01', 'basic', null],
      ['2023-02-01', '2023-03-01', 'basic', null],
      ['2023-03-01', '2023-04-01', 'pro', null],
      ['2023-05-01', '2023-06-01', 'pro', null],
      ['2023-06-01', null, 'pro', null],
    ])
  })
})

describe('a valid-time window', () => {
  it('keeps the versions that overlap it, clamped to its bounds', async () => {
    const versions = await repo.timeline({ id: 1 }, { from: '2023-01-15', to: '2023-03-15' })
    expect(rows(versions)).toEqual([
      ['2023-01-15', '2023-02-01', 'basic', null],
      ['2023-02-01', '2023-03-01', 'basic', null],
      ['2023-03-01', '2023-03-15', 'pro', null],
    ])
    // Clamping cuts valid time only: the system range is the row's own.
    expect(versions[0]?.system).toEqual({ from: at['first'], to: null })
    expect(logged.sent).toHaveLength(1)
  })

  it('leaves an omitted or null end unbounded, and an open version open', async () => {
    expect(rows(await repo.timeline({ id: 1 }, { from: '2023-05-15' }))).toEqual([
      ['2023-05-15', '2023-06-01', 'pro', null],
      ['2023-06-01', null, 'pro', null],
    ])
    expect(rows(await repo.timeline({ id: 1 }, { to: '2023-01-10' }))).toEqual([['2023-01-01', '2023-01-10', 'basic', null]])
    expect(rows(await repo.timeline({ id: 1 }, { from: null, to: '2023-01-10' }))).toEqual([['2023-01-01', '2023-01-10', 'basic', null]])
  })

  it('is half-open: a version that ends at from or starts at to is outside', async () => {
    expect(rows(await repo.timeline({ id: 1 }, { from: '2023-02-01', to: '2023-03-01' }))).toEqual([['2023-02-01', '2023-03-01', 'basic', null]])
    expect(rows(await repo.timeline({ id: 1 }, { from: '2023-02-28', to: '2023-03-02' }))).toEqual([
      ['2023-02-28', '2023-03-01', 'basic', null],
      ['2023-03-01', '2023-03-02', 'pro', null],
    ])
  })

  it('is empty inside a gap and before the first version', async () => {
    expect(await repo.timeline({ id: 1 }, { from: '2023-04-05', to: '2023-04-20' })).toEqual([])
    expect(await repo.timeline({ id: 1 }, { from: '2022-01-01', to: '2023-01-01' })).toEqual([])
  })

  it('applies to the timeline known at knownAt', async () => {
    expect(rows(await repo.timeline({ id: 1 }, { knownAt: at['second'] ?? '', from: '2023-01-20', to: '2023-12-31' }))).toEqual([
      ['2023-01-20', '2023-02-01', 'basic', null],
      ['2023-02-01', '2023-03-01', 'basic', null],
    ])
  })
})

describe('coalesce: true', () => {
  it('merges adjacent versions with equal values, not across a gap or a change of values', async () => {
    const versions = await repo.timeline({ id: 1 }, { coalesce: true })
    expect(rows(versions)).toEqual([
      ['2023-01-01', '2023-03-01', 'basic', null],
      ['2023-03-01', '2023-04-01', 'pro', null],
      ['2023-05-01', null, 'pro', null],
    ])
    // A merged version was believed whole from its latest piece's system start on.
    expect(versions.map((v) => v.system)).toEqual([
      { from: at['second'], to: null },
      { from: versions[1]?.system.from, to: null },
      { from: at['last'], to: null },
    ])
    expect(Object.isFrozen(versions[0])).toBe(true)
  })

  it('merges after clamping to a window', async () => {
    expect(rows(await repo.timeline({ id: 1 }, { from: '2023-01-15', to: '2023-05-15', coalesce: true }))).toEqual([
      ['2023-01-15', '2023-03-01', 'basic', null],
      ['2023-03-01', '2023-04-01', 'pro', null],
      ['2023-05-01', '2023-05-15', 'pro', null],
    ])
  })

  it('merges the timeline known at a past instant, with the intersection of the pieces’ system ranges', async () => {
    const key = { id: 2 }
    const a = systemTime(await repo.set(key, { from: '2024-01-01', to: '2024-02-01' }, { tier: 'basic', seats: 3 }))
    const b = systemTime(await repo.set(key, { from: '2024-02-01', to: '2024-03-01' }, { tier: 'basic', seats: 3 }))
    const c = systemTime(await repo.update(key, { from: '2024-01-15', to: '2024-01-20' }, { seats: 4 }))
    expect(rows(await repo.timeline(key, { coalesce: true }))).toEqual([
      ['2024-01-01', '2024-01-15', 'basic', 3],
      ['2024-01-15', '2024-01-20', 'basic', 4],
      ['2024-01-20', '2024-03-01', 'basic', 3],
    ])
    const before = await repo.timeline(key, { knownAt: b, coalesce: true })
    expect(rows(before)).toEqual([['2024-01-01', '2024-03-01', 'basic', 3]])
    // The piece [01-01, 02-01) from a was closed at c, the piece from b is current: both held in [b, c).
    expect(before[0]?.system).toEqual({ from: b, to: c })
    expect(rows(await repo.timeline(key, { knownAt: a, coalesce: true }))).toEqual([['2024-01-01', '2024-02-01', 'basic', 3]])
  })

  it('compares values as SQL does: null equals null, null differs from a number', async () => {
    const key = { id: 3 }
    await repo.set(key, { from: '2024-01-01', to: '2024-02-01' }, { tier: 'basic', seats: null })
    await repo.set(key, { from: '2024-02-01', to: '2024-03-01' }, { tier: 'basic' })
    await repo.set(key, { from: '2024-03-01', to: '2024-04-01' }, { tier: 'basic', seats: 5 })
    expect(rows(await repo.timeline(key, { coalesce: true }))).toEqual([
      ['2024-01-01', '2024-03-01', 'basic', null],
      ['2024-03-01', '2024-04-01', 'basic', 5],
    ])
  })

  it('has no audit on merged versions of an audited table, and keeps it on windowed ones', async () => {
    const auditedRepo = bitemporal(database().db, audited)
    await auditedRepo.set({ id: 1 }, { from: '2024-01-01', to: '2024-02-01' }, { tier: 'basic' }, { actor: 'alice' })
    await auditedRepo.set({ id: 1 }, { from: '2024-02-01', to: '2024-03-01' }, { tier: 'basic' }, { actor: 'bob' })
    const [merged] = await auditedRepo.timeline({ id: 1 }, { coalesce: true })
    expect(merged).toMatchObject({ values: { tier: 'basic' }, effective: { from: '2024-01-01', to: '2024-03-01' } })
    expect(merged !== undefined && 'audit' in merged).toBe(false)
    const windowed = await auditedRepo.timeline({ id: 1 }, { from: '2024-01-15' })
    expect(windowed.map((v) => v.audit?.recordedBy)).toEqual(['alice', 'bob'])
  })

  it('with coalesce: false and no window, is the plain timeline', async () => {
    expect(await repo.timeline({ id: 1 }, { coalesce: false })).toEqual(await repo.timeline({ id: 1 }))
    expect(await repo.timeline({ id: 1 }, { from: null, to: null })).toEqual(await repo.timeline({ id: 1 }))
  })
})

describe('a timestamp valid time', () => {
  it('clamps to instants and returns them in UTC, whatever the session time zone', async () => {
    const room = { room: '101' }
    const bookingRepo = bitemporal(database().db, bookings)
    await bookingRepo.set(room, { from: '2024-03-01T12:00:00Z', to: '2024-03-03T10:00:00Z' }, { guest: 'ada' })
    await bookingRepo.set(room, { from: '2024-03-03T10:00:00Z', to: '2024-03-05T10:00:00Z' }, { guest: 'ada' })
    const elsewhere = new Kysely({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database().url, max: 1, options: '-c TimeZone=Pacific/Kiritimati' }) }),
    })
    try {
      const versions = await bitemporal(elsewhere, bookings).timeline(room, { from: '2024-03-02T00:00:00+01:00', to: '2024-03-04T00:00:00Z', coalesce: true })
      expect(rows(versions)).toEqual([['2024-03-01T23:00:00.000000Z', '2024-03-04T00:00:00.000000Z', 'ada']])
    } finally {
      await elsewhere.destroy()
    }
  })
})

describe('bad options are rejected before anything is sent', () => {
  const untyped = (): { timeline(key: unknown, options?: unknown): Promise<unknown> } =>
    repo

  it.each([
    ['a day that does not exist', { from: '2023-02-30' }],
    ['an instant on a date table', { to: '2023-01-01T00:00:00Z' }],
    ['a number', { from: 20230101 }],
    ['an invalid Date', { to: new Date(Number.NaN) }],
    ['from after to', { from: '2023-03-01', to: '2023-02-01' }],
    ['from equal to to', { from: '2023-03-01', to: '2023-03-01' }],
    ['coalesce that is not a boolean', { coalesce: 'yes' }],
    ['coalesce null', { coalesce: null }],
    ['a misspelt option', { knownat: '2023-01-01T00:00:00Z' }],
    ['a window given as a portion', { portion: { from: '2023-01-01' } }],
    ['a bad knownAt with a window', { knownAt: '2023-01-01', from: '2023-01-01' }],
    ['options that are not an object', 'coalesce'],
  ])('%s', async (_, options) => {
    await rejectsWithCode(() => untyped().timeline({ id: 1 }, options), 'INVALID_INPUT')
    expect(logged.sent).toEqual([])
  })
})
