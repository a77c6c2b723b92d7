import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { instantMicros, toDay, toInstant, toKnownAt, toLocalTimestamp } from '../../src/time/date-input.js'
import { invalidInput } from '../support/invalid-input.js'

/** A Date at 00:00 UTC of the given UTC year, month (1-12) and day; works for years 0-99 too. */
function utcDate(year: number, month: number, day: number, hours = 0): Date {
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hours, 0, 0, 0)
  return date
}

describe('toDay: calendar days', () => {
  it.each(['2023-01-01', '2023-12-31', '0001-01-01', '9999-12-31', '1970-01-01', '2023-04-30'])('accepts %s as it is', (day) => {
    expect(toDay(day, 'from')).toBe(day)
  })

  it.each(['2024-02-29', '2000-02-29', '1600-02-29', '0004-02-29'])('accepts the leap day %s', (day) => {
    expect(toDay(day, 'from')).toBe(day)
  })

  it.each([
    ['2023-02-29', 'not a leap year'],
    ['1900-02-29', 'century, not a leap year'],
    ['2023-02-30', 'February has at most 29 days'],
    ['2023-04-31', 'April has 30 days'],
    ['2023-13-01', 'month 13'],
    ['2023-00-10', 'month 0'],
    ['2023-01-00', 'day 0'],
    ['2023-01-32', 'day 32'],
    ['0000-01-01', 'PostgreSQL has no year 0'],
  ])('rejects %s (%s), naming what it was', (day) => {
    const error = invalidInput(() => toDay(day, 'set: from'))
    expect(error.message).toContain('set: from')
    expect(error.message).toContain(day)
  })

  it.each([
    '2023-1-1',
    '2023-01-1',
    '20230101',
    '2023/01/01',
    '01-01-2023',
    ' 2023-01-01',
    '2023-01-01 ',
    '2023-01-01\n',
    '2023-01-01T00:00:00Z',
    '2023-01-01T00:00:00',
    '2023-01-01 00:00',
    '+2023-01-01',
    '12023-01-01',
    '-2023-01-01',
    '２０２３-01-01',
    '',
    'today',
    'infinity',
    '-infinity',
    'Infinity',
    'epoch',
  ])('rejects the string %j', (input) => {
    invalidInput(() => toDay(input, 'from'))
  })

  it.each([
    ['a number', 20230101],
    ['a timestamp number', Date.UTC(2023, 0, 1)],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['null', null],
    ['undefined', undefined],
    ['a boolean', true],
    ['an object', { year: 2023, month: 1, day: 1 }],
    ['an array', ['2023-01-01']],
    ['a bigint', 20230101n],
    ['a String object', new String('2023-01-01')],
  ])('rejects %s', (_, input) => {
    invalidInput(() => toDay(input, 'from'))
  })

  it('keeps the message short for a very long string', () => {
    const long = '2023-01-01'.repeat(100_000)
    const error = invalidInput(() => toDay(long, 'from'))
    expect(error.message.length).toBeLessThan(300)
  })

  it('takes the UTC calendar day of a Date, whatever its time of day', () => {
    expect(toDay(new Date('2023-01-01T00:00:00.000Z'), 'from')).toBe('2023-01-01')
    expect(toDay(new Date('2023-01-01T23:59:59.999Z'), 'from')).toBe('2023-01-01')
    // Local midnight in UTC+14 is the previous UTC day: the UTC day counts.
    expect(toDay(new Date('2023-01-01T00:00:00+14:00'), 'from')).toBe('2022-12-31')
    expect(toDay(new Date('2022-12-31T20:00:00-05:00'), 'from')).toBe('2023-01-01')
    expect(toDay(utcDate(2024, 2, 29, 23), 'from')).toBe('2024-02-29')
  })

  it('takes the days of the first and last years PostgreSQL and the library support', () => {
    expect(toDay(utcDate(1, 1, 1), 'from')).toBe('0001-01-01')
    expect(toDay(utcDate(9999, 12, 31, 23), 'from')).toBe('9999-12-31')
  })

  it('rejects an invalid Date', () => {
    const error = invalidInput(() => toDay(new Date('not a date'), 'delete: to'))
    expect(error.message).toContain('delete: to')
  })

  it('rejects a Date after year 9999 or before year 0', () => {
    invalidInput(() => toDay(utcDate(10000, 1, 1), 'from'))
    invalidInput(() => toDay(utcDate(-1, 1, 1), 'from'))
  })

  it('rejects a Date in year 0, which a string 0000-01-01 is rejected for and PostgreSQL refuses', () => {
    // toISOString() gives '0000-01-01T…', which matches YYYY-MM-DD; PostgreSQL
    // answers "date/time field value out of range" after the write was sent.
    invalidInput(() => toDay(utcDate(0, 1, 1), 'from'))
    invalidInput(() => toDay(utcDate(0, 12, 31), 'from'))
  })

  it('gives the UTC day of any Date in the years 1 to 9999 (property)', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('0001-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }),
        (date) => {
          expect(toDay(date, 'from')).toBe(date.toISOString().slice(0, 10))
        },
      ),
      { numRuns: 500 },
    )
  })

  it('accepts every day string of the years 1 to 9999 that is a real day, and only those (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }), (year, month, day) => {
        const text = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`
        const real = utcDate(year, month, day)
        const exists = real.getUTCMonth() === month - 1 && real.getUTCDate() === day
        if (exists) expect(toDay(text, 'from')).toBe(text)
        else invalidInput(() => toDay(text, 'from'))
      }),
      { numRuns: 1000 },
    )
  })
})

describe('toInstant: points in time', () => {
  it.each([
    '2023-01-01T00:00:00Z',
    '2023-01-01T00:00:00.1Z',
    '2023-01-01T00:00:00.123Z',
    '2023-01-01T00:00:00.123456Z',
    '2023-01-01T05:30:00+05:30',
    '2022-12-31T19:00:00-05:00',
    '2023-06-30T23:59:59.999999+00:00',
    '2024-02-29T12:00:00Z',
    '0001-01-01T00:00:00Z',
    '0001-01-01T01:00:00+01:00',
    '9999-12-31T23:59:59.999999Z',
    '9999-12-31T22:30:00-01:00',
  ])('accepts %s and returns it unchanged (microseconds kept)', (instant) => {
    expect(toInstant(instant, 'knownAt')).toBe(instant)
  })

  it('turns a Date into its UTC ISO string', () => {
    expect(toInstant(new Date('2023-01-01T05:30:00.123+05:30'), 'knownAt')).toBe('2023-01-01T00:00:00.123Z')
  })

  it.each([
    ['no offset', '2023-01-01T00:00:00'],
    ['no offset, with microseconds', '2023-01-01T00:00:00.123456'],
    ['a day only', '2023-01-01'],
    ['hour 24', '2023-01-01T24:00:00Z'],
    ['minute 60', '2023-01-01T00:60:00Z'],
    ['second 60', '2023-01-01T23:59:60Z'],
    ['an impossible day', '2023-02-30T00:00:00Z'],
    ['a leap day of a common year', '2023-02-29T12:00:00Z'],
    ['month 13', '2023-13-01T00:00:00Z'],
    ['year 0', '0000-01-01T00:00:00Z'],
    ['year 0 in UTC, by its offset', '0001-01-01T00:00:00+01:00'],
    ['year 10000 in UTC, by its offset', '9999-12-31T23:30:00-01:00'],
    ['seven fraction digits', '2023-01-01T00:00:00.1234567Z'],
    ['no seconds', '2023-01-01T00:00Z'],
    ['an offset of 25 hours', '2023-01-01T00:00:00+25:00'],
    ['an offset with minute 99', '2023-01-01T00:00:00+05:99'],
    ['a named zone', '2023-01-01T00:00:00 UTC'],
    ['leading space', ' 2023-01-01T00:00:00Z'],
    ['trailing text', '2023-01-01T00:00:00Z; drop table x'],
    ['now', 'now'],
    ['infinity', 'infinity'],
    ['-infinity', '-infinity'],
    ['empty', ''],
  ])('rejects %s (%j)', (_, input) => {
    const error = invalidInput(() => toInstant(input, 'asOf: knownAt'))
    expect(error.message).toContain('asOf: knownAt')
  })

  it('rejects an offset PostgreSQL cannot read (beyond ±15:59), instead of sending it', () => {
    // PostgreSQL: "time zone displacement out of range" for +16:00 and more.
    invalidInput(() => toInstant('2023-01-01T00:00:00+16:00', 'knownAt'))
    invalidInput(() => toInstant('2023-01-01T00:00:00+23:59', 'knownAt'))
  })

  it.each([
    ['a number', Date.UTC(2023, 0, 1)],
    ['NaN', Number.NaN],
    ['null', null],
    ['undefined', undefined],
    ['an object', { at: '2023-01-01T00:00:00Z' }],
    ['an invalid Date', new Date(Number.NaN)],
  ])('rejects %s', (_, input) => {
    invalidInput(() => toInstant(input, 'knownAt'))
  })

  it('rejects a Date outside the years 1 to 9999, which PostgreSQL cannot read back', () => {
    // toISOString() gives '+010000-…' and '0000-…'; PostgreSQL refuses both.
    invalidInput(() => toInstant(utcDate(10000, 1, 1), 'knownAt'))
    invalidInput(() => toInstant(utcDate(0, 6, 1), 'knownAt'))
  })

  it('keeps the message short for a very long string', () => {
    const error = invalidInput(() => toInstant(`2023-01-01T00:00:00${'0'.repeat(100_000)}Z`, 'knownAt'))
    expect(error.message.length).toBeLessThan(300)
  })
})

describe('toKnownAt: a Date names a whole millisecond, read as its last microsecond (docs/semantics.md §5)', () => {
  it('reads a Date as the last microsecond of its millisecond, so new Date(systemTime) is not before systemTime', () => {
    const systemTime = '2026-11-22T04:20:03.077724Z'
    const knownAt = toKnownAt(new Date(systemTime), 'asOf: knownAt')
    expect(knownAt).toBe('2026-11-22T04:20:03.077999Z')
    expect(instantMicros(knownAt) >= instantMicros(systemTime)).toBe(true)
    expect(toKnownAt(new Date('2023-01-01T05:30:00+05:30'), 'knownAt')).toBe('2023-01-01T00:00:00.000999Z')
    expect(toKnownAt(new Date('9999-12-31T23:59:59.999Z'), 'knownAt')).toBe('9999-12-31T23:59:59.999999Z')
    // Only knownAt: toInstant, which valid time, expect and changes use, keeps a Date at its first microsecond.
    expect(toInstant(new Date(systemTime), 'validAt')).toBe('2026-11-22T04:20:03.077Z')
  })

  it('keeps a string as it is, microseconds and offset included', () => {
    for (const instant of ['2026-11-22T04:20:03.077724Z', '2026-11-22T04:20:03Z', '2026-11-22T09:50:03.077+05:30']) {
      expect(toKnownAt(instant, 'knownAt')).toBe(instant)
    }
  })

  it('rejects what toInstant rejects', () => {
    for (const input of [new Date(Number.NaN), '2023-01-01T00:00:00', 1_700_000_000_000, null]) {
      expect(invalidInput(() => toKnownAt(input, 'asOf: knownAt')).message).toContain('asOf: knownAt')
    }
  })
})

describe('instantMicros: ordering instants without losing microseconds', () => {
  it('counts microseconds since the epoch', () => {
    expect(instantMicros('1970-01-01T00:00:00Z')).toBe(0n)
    expect(instantMicros('1970-01-01T00:00:00.000001Z')).toBe(1n)
    expect(instantMicros('1970-01-01T00:00:01.5Z')).toBe(1_500_000n)
    expect(instantMicros('2023-01-01T00:00:00.123456Z')).toBe(1_672_531_200_123_456n)
    expect(instantMicros('1969-12-31T23:59:59.999999Z')).toBe(-1n)
  })

  it('tells apart instants a Date cannot (one microsecond)', () => {
    const a = instantMicros('2023-02-01T12:30:00.123456Z')
    const b = instantMicros('2023-02-01T12:30:00.123457Z')
    expect(b - a).toBe(1n)
    expect(instantMicros('2023-02-01T12:30:00.1234Z')).toBe(instantMicros('2023-02-01T12:30:00.123400Z'))
  })

  it('gives the same value for the same instant written with different offsets', () => {
    const utc = instantMicros('2023-01-01T00:00:00Z')
    expect(instantMicros('2023-01-01T05:30:00+05:30')).toBe(utc)
    expect(instantMicros('2022-12-31T19:00:00-05:00')).toBe(utc)
    expect(instantMicros('2023-01-01T00:00:00+00:00')).toBe(utc)
    expect(instantMicros('2023-01-01T05:30:00.000001+05:30')).toBe(utc + 1n)
  })

  it('orders like the instants (property)', () => {
    const micros = fc.bigInt({ min: 0n, max: 253_402_300_799_999_999n })
    const iso = (m: bigint): string =>
      `${new Date(Number(m / 1000n)).toISOString().slice(0, 19)}.${(m % 1_000_000n).toString().padStart(6, '0')}Z`
    fc.assert(
      fc.property(micros, micros, (a, b) => {
        const [x, y] = [iso(a), iso(b)]
        expect(toInstant(x, 'at')).toBe(x)
        expect(instantMicros(x)).toBe(a)
        expect(instantMicros(x) < instantMicros(y)).toBe(a < b)
      }),
      { numRuns: 500 },
    )
  })
})

describe('toLocalTimestamp: timestamp without time zone values', () => {
  it.each(['2023-01-02T03:04:05', '2023-01-02 03:04:05', '2023-01-02T03:04:05.123456', '0001-01-01T00:00:00', '9999-12-31T23:59:59.999999', '2024-02-29T12:00:00'])(
    'keeps %s as given',
    (value) => {
      expect(toLocalTimestamp(value, 'seen')).toBe(value)
    },
  )

  it('takes a Date by its UTC wall-clock time, whatever TZ says', () => {
    expect(toLocalTimestamp(new Date(Date.UTC(2023, 0, 2, 3, 4, 5, 6)), 'seen')).toBe('2023-01-02T03:04:05.006')
  })

  it.each([
    ['infinity', 'that exists'],
    ['0044-03-15 12:00:00 BC', 'that exists'],
    ['01/02/2023 00:00', 'that exists'],
    ['2023-02-30T00:00:00', 'that exists'],
    ['2023-01-02T24:00:00', 'that exists'],
    ['2023-01-02', 'that exists'],
    ['0000-01-01T00:00:00', 'that exists'],
    ['2023-01-02T03:04:05Z', 'would drop it'],
    ['2023-01-02T03:04:05+09:00', 'would drop it'],
  ])('refuses %s, saying what to give', (value, hint) => {
    expect(invalidInput(() => toLocalTimestamp(value, 'seen')).message).toContain(hint)
  })

  it.each([42, null, undefined, new Date(Number.NaN)])('refuses %s', (value) => {
    invalidInput(() => toLocalTimestamp(value, 'seen'))
  })
})
