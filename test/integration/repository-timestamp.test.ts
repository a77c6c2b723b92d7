import { sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import type { Repository } from '../../src/repository/repository.js'
import type { Version } from '../../src/codec/decode-version.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'
import { rejectsWithCode } from '../support/rejects-with-code.js'

const database = useTestDatabase()

const taxRates = defineTable({
  name: 'tax_rates',
  key: { state_id: 'integer', tax_type: 'text' },
  values: { rate: 'numeric not null' },
  effective: 'timestamp',
})

/** ISO 8601 in UTC with exactly six fraction digits and Z: how the library returns instants. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/

let repo: Repository<typeof taxRates>

beforeAll(async () => {
  await install(database().db)
  await createTable(database().db, taxRates)
  repo = bitemporal(database().db, taxRates)
})

/** `instant` moved by `micros` microseconds, as the library's text (computed by PostgreSQL, in UTC). */
async function shift(instant: string, micros: number): Promise<string> {
  const result = await sql<{ t: string }>`select to_char((${instant}::timestamptz + make_interval(secs => ${micros}::float8 / 1000000)) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as t`.execute(
    database().db,
  )
  const [row] = result.rows
  if (row === undefined) throw new Error('no row')
  return row.t
}

/** A version as [rate, effective from, effective to, system from, system to] for compact comparisons. */
function rows(versions: readonly Version<typeof taxRates>[]): (string | null)[][] {
  return versions.map((v) => [v.values.rate, v.effective.from, v.effective.to, v.system.from, v.system.to])
}

function systemTime(result: { readonly systemTime: string | null }): string {
  if (result.systemTime === null) throw new Error('the write changed nothing')
  return result.systemTime
}

describe('the tax-rate story with instants of valid time', () => {
  const key = { state_id: 1, tax_type: 'income_tax' }
  const JAN = '2023-01-01T00:00:00.000000Z'
  const DEC = '2022-12-01T00:00:00.000000Z'
  const FEB = '2023-02-01T12:30:00.123456Z'
  let t1: string
  let t2: string
  let t3: string
  let t4: string

  beforeAll(async () => {
    t1 = systemTime(await repo.set(key, { from: '2023-01-01T00:00:00Z' }, { rate: '0.15' }))
    t2 = systemTime(await repo.set(key, { from: '2023-01-01T00:00:00Z' }, { rate: '0.19' }))
    t3 = systemTime(await repo.set(key, { from: '2022-12-01T00:00:00Z' }, { rate: '0.14' }))
    t4 = systemTime(await repo.set(key, { from: FEB }, { rate: '0.25' }))
  })

  it('writes at increasing system times', () => {
    for (const t of [t1, t2, t3, t4]) expect(t).toMatch(INSTANT)
    expect(t1 < t2 && t2 < t3 && t3 < t4).toBe(true)
  })

  it('keeps the history of the story, microseconds included', async () => {
    expect(rows(await repo.history(key))).toEqual([
      ['0.15', JAN, null, t1, t2],
      ['0.19', JAN, null, t2, t4],
      ['0.14', DEC, JAN, t3, null],
      ['0.19', JAN, FEB, t4, null],
      ['0.25', FEB, null, t4, null],
    ])
  })

  it('answers the reads of the story', async () => {
    expect((await repo.asOf(key, { validAt: '2023-05-01T00:00:00Z' }))?.values.rate).toBe('0.25')
    expect(await repo.asOf(key, { validAt: '2022-11-30T23:59:59.999999Z' })).toBeUndefined()
    expect((await repo.asOf(key, { validAt: '2022-12-01T00:00:00Z' }))?.values.rate).toBe('0.14')
    expect((await repo.asOf(key, { validAt: '2023-01-15T00:00:00Z', knownAt: t1 }))?.values.rate).toBe('0.15')
    expect((await repo.asOf(key, { validAt: '2023-01-15T00:00:00Z', knownAt: t2 }))?.values.rate).toBe('0.19')
    expect(await repo.asOf(key, { validAt: '2023-01-15T00:00:00Z', knownAt: await shift(t1, -1) })).toBeUndefined()
  })

  it('tells apart the microsecond before a boundary from the boundary itself', async () => {
    expect((await repo.asOf(key, { validAt: '2023-02-01T12:30:00.123455Z' }))?.values.rate).toBe('0.19')
    expect((await repo.asOf(key, { validAt: '2023-02-01T12:30:00.123456Z' }))?.values.rate).toBe('0.25')
    expect((await repo.asOf(key, { validAt: '2022-12-31T23:59:59.999999Z' }))?.values.rate).toBe('0.14')
    expect((await repo.asOf(key, { validAt: '2023-01-01T00:00:00Z' }))?.values.rate).toBe('0.19')
  })

  it('returns the timelines known at each system time', async () => {
    expect(rows(await repo.timeline(key, { knownAt: t1 }))).toEqual([['0.15', JAN, null, t1, t2]])
    expect(rows(await repo.timeline(key, { knownAt: t3 }))).toEqual([
      ['0.14', DEC, JAN, t3, null],
      ['0.19', JAN, null, t2, t4],
    ])
    expect(rows(await repo.timeline(key))).toEqual([
      ['0.14', DEC, JAN, t3, null],
      ['0.19', JAN, FEB, t4, null],
      ['0.25', FEB, null, t4, null],
    ])
    expect(await repo.lastChange(key)).toBe(t4)
  })

  it('stores tstzrange bounds with the microseconds of the input', async () => {
    const result = await sql<{ lower: string }>`
      select to_char(lower(effective) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as lower
      from tax_rates where state_id = 1 and upper_inf(system) order by lower(effective)`.execute(database().db)
    expect(result.rows.map((r) => r.lower)).toEqual([DEC, JAN, FEB])
    const type = await sql<{ type: string }>`select pg_typeof(effective)::text as type from tax_rates limit 1`.execute(database().db)
    expect(type.rows[0]?.type).toBe('tstzrange')
  })
})

describe('every write kind on a timestamp table', () => {
  it('insert, set with both bounds, update, correct and delete split at instants', async () => {
    const key = { state_id: 2, tax_type: 'vat' }
    await repo.insert(key, { from: '2023-01-01T00:00:00Z', to: '2023-01-02T00:00:00Z' }, { rate: '0.10' })
    await rejectsWithCode(() => repo.insert(key, { from: '2023-01-01T23:59:59.999999Z' }, { rate: '0.11' }), 'OVERLAP')
    await repo.insert(key, { from: '2023-01-02T00:00:00Z' }, { rate: '0.20' })
    await repo.set(key, { from: '2023-01-01T06:00:00Z', to: '2023-01-01T06:00:00.000001Z' }, { rate: '0.15' })
    await repo.update(key, { from: '2023-01-01T12:00:00.5Z', to: '2023-01-03T00:00:00Z' }, { rate: '0.30' })
    await repo.correct(key, { at: '2023-01-05T00:00:00Z' }, { rate: '0.40' })
    await repo.delete(key, { from: '2023-01-01T18:00:00Z', to: '2023-01-01T19:00:00Z' })
    expect((await repo.timeline(key)).map((v) => [v.values.rate, v.effective.from, v.effective.to])).toEqual([
      ['0.10', '2023-01-01T00:00:00.000000Z', '2023-01-01T06:00:00.000000Z'],
      ['0.15', '2023-01-01T06:00:00.000000Z', '2023-01-01T06:00:00.000001Z'],
      ['0.10', '2023-01-01T06:00:00.000001Z', '2023-01-01T12:00:00.500000Z'],
      ['0.30', '2023-01-01T12:00:00.500000Z', '2023-01-01T18:00:00.000000Z'],
      ['0.30', '2023-01-01T19:00:00.000000Z', '2023-01-02T00:00:00.000000Z'],
      ['0.30', '2023-01-02T00:00:00.000000Z', '2023-01-03T00:00:00.000000Z'],
      ['0.40', '2023-01-03T00:00:00.000000Z', null],
    ])
    await rejectsWithCode(() => repo.correct(key, { at: '2023-01-01T18:30:00Z' }, { rate: '1' }), 'NOT_FOUND')
  })

  it('returns every instant as UTC ISO text with six fraction digits and Z', async () => {
    const key = { state_id: 3, tax_type: 'vat' }
    await repo.set(key, { from: '2023-03-01T10:00:00+02:00', to: new Date('2023-03-02T00:00:00.5Z') }, { rate: '1' })
    await repo.set(key, { from: '2023-03-01T09:00:00Z' }, { rate: '2' })
    for (const version of await repo.history(key)) {
      for (const instant of [version.effective.from, version.effective.to, version.system.from, version.system.to]) {
        if (instant !== null) expect(instant).toMatch(INSTANT)
      }
    }
    expect((await repo.timeline(key)).map((v) => [v.values.rate, v.effective.from, v.effective.to])).toEqual([
      ['1', '2023-03-01T08:00:00.000000Z', '2023-03-01T09:00:00.000000Z'],
      ['2', '2023-03-01T09:00:00.000000Z', '2023-03-02T00:00:00.500000Z'],
    ])
  })

  it('does not depend on the session TimeZone', async () => {
    const key = { state_id: 4, tax_type: 'vat' }
    const version = await database()
      .db.transaction()
      .execute(async (trx) => {
        await sql`set local timezone = 'Pacific/Kiritimati'`.execute(trx)
        const inside = repo.with(trx)
        await inside.set(key, { from: '2023-01-01T00:00:00Z', to: '2023-01-01T12:00:00-03:30' }, { rate: '1' })
        return inside.asOf(key, { validAt: '2023-01-01T15:29:59.999999Z' })
      })
    expect(version?.effective).toEqual({ from: '2023-01-01T00:00:00.000000Z', to: '2023-01-01T15:30:00.000000Z' })
    expect(version?.system.from).toMatch(INSTANT)
  })
})

describe('offsets, defaults and empty portions', () => {
  it('an instant with an offset is the same instant as its UTC spelling', async () => {
    const key = { state_id: 5, tax_type: 'vat' }
    await repo.set(key, { from: '2023-01-01T05:30:00+05:30' }, { rate: '0.5' })
    const [version] = await repo.timeline(key)
    expect(version?.effective).toEqual({ from: '2023-01-01T00:00:00.000000Z', to: null })
    // The same instant in other spellings: the write changes nothing, and reads find the version from its first microsecond.
    expect((await repo.set(key, { from: '2023-01-01T00:00:00Z' }, { rate: '0.5' })).systemTime).toBeNull()
    expect((await repo.set(key, { from: '2022-12-31T19:00:00-05:00' }, { rate: '0.5' })).systemTime).toBeNull()
    expect((await repo.asOf(key, { validAt: '2023-01-01T05:30:00+05:30' }))?.values.rate).toBe('0.5')
    expect(await repo.asOf(key, { validAt: '2023-01-01T05:29:59.999999+05:30' })).toBeUndefined()
    await rejectsWithCode(() => repo.insert(key, { from: '2022-12-31T00:00:00Z', to: '2023-01-01T05:30:00.000001+05:30' }, { rate: '1' }), 'OVERLAP')
    await repo.insert(key, { from: '2022-12-31T00:00:00Z', to: '2023-01-01T05:30:00+05:30' }, { rate: '1' })
  })

  it('validAt omitted means now, not today', async () => {
    const hour = 3_600_000
    const now = Date.now()
    const current = { state_id: 6, tax_type: 'now' }
    const ended = { state_id: 7, tax_type: 'now' }
    const later = { state_id: 8, tax_type: 'now' }
    await repo.set(current, { from: new Date(now - 12 * hour), to: new Date(now + 12 * hour) }, { rate: '1' })
    await repo.set(ended, { from: new Date(now - 48 * hour), to: new Date(now - 12 * hour) }, { rate: '2' })
    await repo.set(later, { from: new Date(now + 12 * hour), to: new Date(now + 48 * hour) }, { rate: '3' })
    expect((await repo.asOf(current))?.values.rate).toBe('1')
    expect(await repo.asOf(ended)).toBeUndefined()
    expect(await repo.asOf(later)).toBeUndefined()
    expect((await repo.asOf(current, {}))?.values.rate).toBe('1')
  })

  it('an empty portion [t, t) is rejected, however t is spelled, and writes nothing', async () => {
    const key = { state_id: 9, tax_type: 'vat' }
    await repo.set(key, { from: '2023-01-01T00:00:00Z' }, { rate: '1' })
    const before = await repo.history(key)
    const t = '2023-02-01T12:30:00.123456Z'
    const writes = [
      (from: string, to: string) => repo.insert(key, { from, to }, { rate: '2' }),
      (from: string, to: string) => repo.set(key, { from, to }, { rate: '2' }),
      (from: string, to: string) => repo.update(key, { from, to }, { rate: '2' }),
      (from: string, to: string) => repo.delete(key, { from, to }),
    ]
    for (const write of writes) {
      await rejectsWithCode(() => write(t, t), 'INVALID_INPUT')
      await rejectsWithCode(() => write(t, '2023-02-01T18:00:00.123456+05:30'), 'INVALID_INPUT')
      await rejectsWithCode(() => write(t, '2023-02-01T12:30:00.123455Z'), 'INVALID_INPUT')
      await rejectsWithCode(() => write('2023-01-01T00:00:00Z', '2023-01-01T00:00:00.000000Z'), 'INVALID_INPUT')
    }
    expect(await repo.history(key)).toEqual(before)
    // One microsecond is not empty.
    expect((await repo.update(key, { from: t, to: '2023-02-01T12:30:00.123457Z' }, { rate: '2' })).inserted).toBe(3)
  })

  it('rejects days, instants without an offset and impossible instants as valid time', async () => {
    const key = { state_id: 10, tax_type: 'vat' }
    // The last two are in year 0 and year 10000 in UTC: stored, they would read back a year off (BC shown as AD) or as five digits.
    for (const from of ['2023-01-01', '2023-01-01T00:00:00', '2023-01-01T24:00:00Z', '2023-02-30T00:00:00Z', 'infinity', 'now', '0001-01-01T00:00:00+01:00', '9999-12-31T23:30:00-01:00']) {
      await rejectsWithCode(() => repo.set(key, { from }, { rate: '1' }), 'INVALID_INPUT')
      await rejectsWithCode(() => repo.asOf(key, { validAt: from }), 'INVALID_INPUT')
    }
    expect(await repo.history(key)).toEqual([])
  })
})
