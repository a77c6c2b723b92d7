import { describe, expect, it } from 'vitest'
import { asOf } from '../../src/query/as-of.js'
import { defineTable } from '../../src/schema/define-table.js'
import { compileOnly } from '../support/compile-only.js'
import { invalidInput } from '../support/invalid-input.js'

// The SQL asOf() builds: spelled for the indexes (upper_inf for current
// knowledge, @> on the ranges), values only as parameters, names quoted.

const db = compileOnly()
const subscriptions = defineTable({ name: 'subscriptions', key: { id: 'integer' }, values: { plan: 'text not null' } })
const rates = defineTable({
  name: 'billing.tax_rates',
  key: { state_id: 'integer' },
  values: { rate: 'numeric not null' },
  effectiveColumn: 'valid_during',
  systemColumn: 'known_during',
})
const events = defineTable({ name: 'events', key: { id: 'integer' }, values: { kind: 'text' }, effective: 'timestamp' })

function where(condition: ReturnType<typeof asOf>, from = 'subscriptions as s'): { sql: string; parameters: readonly unknown[] } {
  const { sql, parameters } = db.selectFrom(from).selectAll().where(condition).compile()
  return { sql: sql.slice(sql.indexOf(' where ') + 7), parameters }
}

describe('asOf(definition, alias?, instant?)', () => {
  it('current knowledge at a day: upper_inf(system) and effective @> $1::text::date (sent as text on every driver)', () => {
    expect(where(asOf(subscriptions, 's', { validAt: '2024-03-01' }))).toEqual({
      sql: `(upper_inf("s"."system") and "s"."effective" @> $1::text::date)`,
      parameters: ['2024-03-01'],
    })
  })

  it('past knowledge: system @> the instant, read with its offset and taken to UTC', () => {
    expect(where(asOf(subscriptions, 's', { validAt: '2024-03-01', knownAt: '2024-04-02T10:00:00.123456+02:00' }))).toEqual({
      sql: `("s"."system" @> ($1::text::timestamptz at time zone 'UTC') and "s"."effective" @> $2::text::date)`,
      parameters: ['2024-04-02T10:00:00.123456+02:00', '2024-03-01'],
    })
  })

  it('defaults: today as the UTC day of the server clock, current knowledge; no parameters', () => {
    expect(where(asOf(subscriptions, 's'))).toEqual({
      sql: `(upper_inf("s"."system") and "s"."effective" @> (now() at time zone 'UTC')::date)`,
      parameters: [],
    })
    expect(where(asOf(subscriptions, 's', {}))).toEqual(where(asOf(subscriptions, 's')))
  })

  it("validAt: 'any' restricts system time only", () => {
    expect(where(asOf(subscriptions, 's', { validAt: 'any', knownAt: '2024-04-02T00:00:00Z' })).sql).toBe(
      `("s"."system" @> ($1::text::timestamptz at time zone 'UTC'))`,
    )
    expect(where(asOf(subscriptions, 's', { validAt: 'any' })).sql).toBe(`(upper_inf("s"."system"))`)
  })

  it('without an alias names the table as the definition does, schema and custom column names included', () => {
    expect(where(asOf(rates, { validAt: '2024-03-01' }), 'billing.tax_rates').sql).toBe(
      `(upper_inf("billing"."tax_rates"."known_during") and "billing"."tax_rates"."valid_during" @> $1::text::date)`,
    )
  })

  it('a Date is taken by its UTC day on date tables and as an instant on timestamp tables', () => {
    const at = new Date('2024-03-01T23:30:00-05:00')
    expect(where(asOf(subscriptions, 's', { validAt: at })).parameters).toEqual(['2024-03-02'])
    expect(where(asOf(events, 'e', { validAt: at }), 'events as e')).toEqual({
      sql: `(upper_inf("e"."system") and "e"."effective" @> $1::text::timestamptz)`,
      parameters: ['2024-03-02T04:30:00.000Z'],
    })
    expect(where(asOf(events, 'e'), 'events as e').sql).toBe(`(upper_inf("e"."system") and "e"."effective" @> now())`)
  })

  it('keeps its meaning inside an or: the condition is parenthesised', () => {
    const { sql } = db
      .selectFrom('subscriptions as s')
      .selectAll()
      .where((eb) => eb.or([asOf(subscriptions, 's', { validAt: '2024-03-01' }), eb('s.id', '=', 7)]))
      .compile()
    expect(sql).toContain(`where ((upper_inf("s"."system") and "s"."effective" @> $1::text::date) or "s"."id" = $2)`)
  })

  it('never puts a value into the SQL text', () => {
    const hostile = "2024-03-01'; drop table subscriptions; --"
    invalidInput(() => asOf(subscriptions, 's', { validAt: hostile }))
    const { sql } = where(asOf(subscriptions, 's', { validAt: '2024-03-01', knownAt: '2024-04-02T00:00:00Z' }))
    expect(sql).not.toContain('2024')
  })
})

describe('asOf: bad input is an InvalidInputError before any SQL exists', () => {
  it.each([
    ['a day that does not exist', { validAt: '2023-02-30' }],
    ['a day in another format', { validAt: '03/01/2024' }],
    ['an instant without an offset', { knownAt: '2024-04-02T00:00:00' }],
    ['an invalid Date', { knownAt: new Date('nope') }],
    ['a number', { validAt: 20240301 }],
    ['null', { validAt: null }],
    ['a misspelt option', { validat: '2024-03-01' }],
  ])('%s', (_, at) => {
    const error = invalidInput(() => asOf(subscriptions, 's', at as never))
    expect(error.message).toMatch(/^bitemporal: asOf/)
  })

  it('a day where an instant is needed (timestamp valid time)', () => {
    expect(invalidInput(() => asOf(events, 'e', { validAt: '2024-03-01' })).message).toContain('validAt')
  })

  it('a table name instead of a definition', () => {
    expect(invalidInput(() => asOf('subscriptions' as never, 's')).message).toContain('defineTable')
  })

  it('an alias that is not a plain identifier, or empty', () => {
    invalidInput(() => asOf(subscriptions, 's"; drop table x; --'))
    invalidInput(() => asOf(subscriptions, ''))
    invalidInput(() => asOf(subscriptions, 'a.b.c'))
  })

  it('an instant that is not an object', () => {
    invalidInput(() => asOf(subscriptions, 's', '2024-03-01' as never))
  })
})
