import { beforeAll, describe, expect, it } from 'vitest'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import type { Repository, WriteResult } from '../../src/repository/repository.js'
import type { Version } from '../../src/codec/decode-version.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'
import { instantToMicros, microsecondBefore, microsToInstant, SYSTEM_TIME_FORMAT } from '../support/timeline-model.js'

// The tax-rate story of docs/semantics.md §3, row for row.

const taxRates = defineTable({
  name: 'tax_rates',
  key: { state_id: 'integer', tax_type: 'text' },
  values: { rate: 'numeric not null' },
})

const key = { state_id: 1, tax_type: 'income_tax' }

/** One row of the story's tables: rate, effective [from, to), system [from, to) as T1…T4 (null: unbounded). */
type StoryRow = [rate: string, effectiveFrom: string, effectiveTo: string | null, systemFrom: string, systemTo: string | null]

describe('the tax-rate story (docs/semantics.md §3)', () => {
  const database = useTestDatabase()
  let repository: Repository<typeof taxRates>
  /** T1…T4: the systemTime each step returned. */
  const systemTimes: string[] = []

  beforeAll(async () => {
    const { db } = database()
    await install(db)
    await createTable(db, taxRates)
    repository = bitemporal(db, taxRates)
  })

  /** T1…T4 by the instant, so a mismatch shows the raw timestamp. */
  function systemName(instant: string | null): string | null {
    if (instant === null) return null
    const index = systemTimes.indexOf(instant)
    return index < 0 ? `not a write's systemTime: ${instant}` : `T${index + 1}`
  }

  function asStoryRows(versions: readonly Version<typeof taxRates>[]): StoryRow[] {
    return versions.map((v) => [v.values.rate, v.effective.from, v.effective.to, systemName(v.system.from) ?? 'null', systemName(v.system.to)])
  }

  /** Records a step's system time after checking its format and that it is later than every earlier one. */
  function recordStep(result: WriteResult, expected: { closed: number; inserted: number }): void {
    const { systemTime } = result
    expect(systemTime).toMatch(SYSTEM_TIME_FORMAT)
    if (systemTime === null) throw new Error('the step wrote nothing')
    const previous = systemTimes.at(-1)
    if (previous !== undefined) expect(instantToMicros(systemTime)).toBeGreaterThan(instantToMicros(previous))
    systemTimes.push(systemTime)
    expect({ closed: result.closed, inserted: result.inserted }).toEqual(expected)
  }

  it('step 1, first change: set from 2023-01-01 rate 0.15', async () => {
    recordStep(await repository.set(key, { from: '2023-01-01' }, { rate: '0.15' }), { closed: 0, inserted: 1 })
    expect(asStoryRows(await repository.history(key))).toEqual([
      ['0.15', '2023-01-01', null, 'T1', null],
    ] satisfies StoryRow[])
  })

  it('step 2, correction with the same effective start: set from 2023-01-01 rate 0.19', async () => {
    recordStep(await repository.set(key, { from: '2023-01-01' }, { rate: '0.19' }), { closed: 1, inserted: 1 })
    expect(asStoryRows(await repository.history(key))).toEqual([
      ['0.15', '2023-01-01', null, 'T1', 'T2'],
      ['0.19', '2023-01-01', null, 'T2', null],
    ] satisfies StoryRow[])
  })

  it('step 3, past change: set from 2022-12-01 rate 0.14 ends where the next change starts', async () => {
    recordStep(await repository.set(key, { from: '2022-12-01' }, { rate: '0.14' }), { closed: 0, inserted: 1 })
    expect(asStoryRows(await repository.history(key))).toEqual([
      ['0.15', '2023-01-01', null, 'T1', 'T2'],
      ['0.19', '2023-01-01', null, 'T2', null],
      ['0.14', '2022-12-01', '2023-01-01', 'T3', null],
    ] satisfies StoryRow[])
  })

  it('step 4, future change: set from 2023-02-01 rate 0.25 closes the version that covered Feb 1 and re-inserts it ending Feb 1', async () => {
    recordStep(await repository.set(key, { from: '2023-02-01' }, { rate: '0.25' }), { closed: 1, inserted: 2 })
    expect(asStoryRows(await repository.history(key))).toEqual([
      ['0.15', '2023-01-01', null, 'T1', 'T2'],
      ['0.19', '2023-01-01', null, 'T2', 'T4'],
      ['0.14', '2022-12-01', '2023-01-01', 'T3', null],
      ['0.19', '2023-01-01', '2023-02-01', 'T4', null],
      ['0.25', '2023-02-01', null, 'T4', null],
    ] satisfies StoryRow[])
  })

  it('returns T1 < T2 < T3 < T4 as lossless UTC strings with microseconds', () => {
    expect(systemTimes).toHaveLength(4)
    for (const t of systemTimes) expect(t).toMatch(SYSTEM_TIME_FORMAT)
    const micros = systemTimes.map(instantToMicros)
    micros.forEach((m, i) => {
      const next = micros[i + 1]
      if (next !== undefined) expect(next > m).toBe(true)
    })
    expect(new Set(systemTimes).size).toBe(4)
  })

  describe('the reads after step 4', () => {
    const T = (n: 1 | 2 | 3 | 4): string => {
      const t = systemTimes[n - 1]
      if (t === undefined) throw new Error(`T${n} was not recorded (an earlier step failed)`)
      return t
    }
    const rateOf = (version: Version<typeof taxRates> | undefined): string | undefined => version?.values.rate

    it('rate valid on 2023-05-01 is 0.25', async () => {
      expect(rateOf(await repository.asOf(key, { validAt: '2023-05-01' }))).toBe('0.25')
    })

    it('valid on 2022-11-30: none', async () => {
      expect(await repository.asOf(key, { validAt: '2022-11-30' })).toBeUndefined()
    })

    it('valid on 2023-01-15 as known at T1: 0.15; as known at T2: 0.19', async () => {
      expect(rateOf(await repository.asOf(key, { validAt: '2023-01-15', knownAt: T(1) }))).toBe('0.15')
      expect(rateOf(await repository.asOf(key, { validAt: '2023-01-15', knownAt: T(2) }))).toBe('0.19')
    })

    it('valid on 2023-01-15 as known just before T1 (1 µs): none, and the timeline then is empty', async () => {
      const justBefore = microsecondBefore(T(1))
      expect(justBefore).toMatch(SYSTEM_TIME_FORMAT)
      expect(instantToMicros(T(1)) - instantToMicros(justBefore)).toBe(1n)
      expect(await repository.asOf(key, { validAt: '2023-01-15', knownAt: justBefore })).toBeUndefined()
      expect(await repository.timeline(key, { knownAt: justBefore })).toEqual([])
    })

    it('a knownAt equal to a write\'s systemTime sees that write; 1 µs earlier sees the one before', async () => {
      const expected: Record<1 | 2 | 3 | 4, [rate: string, from: string, to: string | null, systemFrom: string][]> = {
        1: [['0.15', '2023-01-01', null, 'T1']],
        2: [['0.19', '2023-01-01', null, 'T2']],
        3: [
          ['0.14', '2022-12-01', '2023-01-01', 'T3'],
          ['0.19', '2023-01-01', null, 'T2'],
        ],
        4: [
          ['0.14', '2022-12-01', '2023-01-01', 'T3'],
          ['0.19', '2023-01-01', '2023-02-01', 'T4'],
          ['0.25', '2023-02-01', null, 'T4'],
        ],
      }
      const timelineAt = async (knownAt: string): Promise<[string, string, string | null, string][]> =>
        (await repository.timeline(key, { knownAt })).map((v) => [v.values.rate, v.effective.from, v.effective.to, systemName(v.system.from) ?? 'null'])
      for (const n of [1, 2, 3, 4] as const) {
        expect(await timelineAt(T(n)), `known at T${n}`).toEqual(expected[n])
        expect(await timelineAt(microsecondBefore(T(n))), `known 1 µs before T${n}`).toEqual(n === 1 ? [] : expected[(n - 1) as 1 | 2 | 3])
      }
      // The current timeline is the one known at T4.
      expect((await repository.timeline(key)).map((v) => [v.values.rate, v.effective.from, v.effective.to, systemName(v.system.from)])).toEqual(expected[4])
    })

    it('as-of reads at each system time give the rate then valid on 2022-12-15, 2023-01-15 and 2023-02-15', async () => {
      const ratesAt = async (knownAt: string): Promise<(string | undefined)[]> =>
        Promise.all(['2022-12-15', '2023-01-15', '2023-02-15'].map(async (validAt) => rateOf(await repository.asOf(key, { validAt, knownAt }))))
      expect(await ratesAt(T(1))).toEqual([undefined, '0.15', '0.15'])
      expect(await ratesAt(T(2))).toEqual([undefined, '0.19', '0.19'])
      expect(await ratesAt(T(3))).toEqual(['0.14', '0.19', '0.19'])
      expect(await ratesAt(T(4))).toEqual(['0.14', '0.19', '0.25'])
      expect(await ratesAt(microsecondBefore(T(4)))).toEqual(['0.14', '0.19', '0.19'])
    })
  })
})

describe('system time arithmetic used above (no Date: microseconds are kept)', () => {
  it('steps back one microsecond across second, day, month, leap-day and year boundaries', () => {
    expect(microsecondBefore('2023-01-15T10:20:30.123457Z')).toBe('2023-01-15T10:20:30.123456Z')
    expect(microsecondBefore('2023-01-15T10:20:30.000000Z')).toBe('2023-01-15T10:20:29.999999Z')
    expect(microsecondBefore('2024-03-01T00:00:00.000000Z')).toBe('2024-02-29T23:59:59.999999Z')
    expect(microsecondBefore('2023-03-01T00:00:00.000000Z')).toBe('2023-02-28T23:59:59.999999Z')
    expect(microsecondBefore('2026-01-01T00:00:00.000000Z')).toBe('2025-12-31T23:59:59.999999Z')
    expect(microsecondBefore('1970-01-01T00:00:00.000000Z')).toBe('1969-12-31T23:59:59.999999Z')
  })

  it('agrees with Date on whole milliseconds and round-trips', () => {
    for (const instant of ['2000-02-29T12:34:56.789000Z', '2023-10-16T09:30:00.123000Z', '1999-12-31T23:59:59.999000Z']) {
      expect(instantToMicros(instant)).toBe(BigInt(Date.parse(instant)) * 1000n)
      expect(microsToInstant(instantToMicros(instant))).toBe(instant)
    }
  })
})
