import { describe, expect, it } from 'vitest'
import { describeValue } from '../../src/errors/describe-value.js'
import { defineTable } from '../../src/schema/define-table.js'
import { toDay, toInstant } from '../../src/time/date-input.js'
import { columnCodec } from '../../src/schema/column-codec.js'
import { invalidInput } from '../support/invalid-input.js'

class Money {
  constructor(readonly cents: number) {}
}
class UserRecord {
  constructor(readonly id: number) {}
}
class Umbrella {
  constructor(readonly open: boolean) {}
}

describe('describeValue: what an error message says it got', () => {
  it.each([
    ['a string, quoted', '2023-02-30', '"2023-02-30"'],
    ['a long string, cut', 'x'.repeat(100), `"${'x'.repeat(40)}…"`],
    ['a number', 15, 'the number 15'],
    ['NaN', Number.NaN, 'the number NaN'],
    ['a bigint', 12n, 'the bigint 12n'],
    ['a boolean', true, 'the boolean true'],
    ['undefined', undefined, 'undefined'],
    ['null', null, 'null'],
    ['a symbol', Symbol('id'), 'the symbol Symbol(id)'],
    ['a named function', function rate() {}, 'the function rate'],
    ['a plain object', { from: '2023-01-01' }, "an object { from: '2023-01-01' }"],
    ['an object without prototype', Object.assign(Object.create(null) as object, { a: 1 }), 'an object [Object: null prototype] { a: 1 }'],
    ['an array', [1, 2], 'an array [ 1, 2 ]'],
    ['a valid Date', new Date('2023-01-01T00:00:00Z'), 'the Date 2023-01-01T00:00:00.000Z'],
    ['an invalid Date', new Date(Number.NaN), 'an invalid Date'],
    ['a Map', new Map([['a', 1]]), "a Map(1) { 'a' => 1 }"],
    ['a class instance', new Money(5), 'a Money { cents: 5 }'],
    ['a Uint8Array, "a" by sound', new Uint8Array([1, 2]), 'a Uint8Array(2) [ 1, 2 ]'],
    ['an Int32Array', new Int32Array([1]), 'an Int32Array(1) [ 1 ]'],
    ['a class whose name starts with a "you" sound', new UserRecord(1), 'a UserRecord { id: 1 }'],
    ['a class whose name starts with an "uh" sound', new Umbrella(true), 'an Umbrella { open: true }'],
  ])('%s', (_, value, expected) => {
    expect(describeValue(value)).toBe(expected)
  })

  it('keeps a big or nested value to one short line', () => {
    const described = describeValue({ note: 'line one\nline two', nested: { deeper: { deepest: [1, 2, 3, 4, 5, 6, 7] } }, more: 'y'.repeat(200) })
    expect(described).not.toContain('\n')
    expect(described.length).toBeLessThanOrEqual('an object '.length + 61)
    expect(described.endsWith('…')).toBe(true)
  })

  it('runs no code of the value: neither toString nor a custom inspect', () => {
    const sneaky = {
      toString: () => {
        throw new Error('toString ran')
      },
      [Symbol.for('nodejs.util.inspect.custom')]: () => 'custom inspect ran',
    }
    expect(describeValue(sneaky)).not.toMatch(/ran/)
  })

  it("runs no code of a Proxy: none of its traps, even those instanceof and getPrototypeOf would call", () => {
    const trapped: string[] = []
    const handler: ProxyHandler<object> = new Proxy(
      {},
      {
        get: (_, trap) => () => {
          trapped.push(String(trap))
          throw new Error(`trap ${String(trap)} ran`)
        },
      },
    )
    expect(describeValue(new Proxy({}, handler))).toBe('a Proxy')
    expect(describeValue(new Proxy(new Date(), handler))).toBe('a Proxy')
    expect(describeValue(new Proxy([1], handler))).toBe('a Proxy')
    expect(describeValue(new Proxy(function rate() {}, handler))).toBe('a Proxy')
    const revocable = Proxy.revocable({}, {})
    revocable.revoke()
    expect(describeValue(revocable.proxy)).toBe('a Proxy')
    expect(trapped).toEqual([])
  })
})

describe('the value messages that use it name what they got, never [object Object]', () => {
  const table = defineTable({ name: 'rates', key: { id: 'integer' }, values: { rate: 'numeric', opened: 'date', count: 'integer' } })
  const codec = (name: string) => {
    const column = table.valueColumns.find((candidate) => candidate.name === name)
    if (column === undefined) throw new Error(`no column ${name}`)
    return columnCodec(column)
  }

  it.each([
    ['a date column given an object', () => codec('opened').encode({ year: 2023 }, 'rates'), 'got an object { year: 2023 }'],
    ['a numeric column given an object', () => codec('rate').encode({ amount: '0.15' }, 'rates'), "got an object { amount: '0.15' }"],
    ['an integer column given a number it cannot hold', () => codec('count').encode(1.5, 'rates'), 'got the number 1.5'],
    ['an integer column given an array', () => codec('count').encode([1], 'rates'), 'got an array [ 1 ]'],
    ['toDay given an object', () => toDay({ from: '2023-01-01' }, 'from'), "got an object { from: '2023-01-01' }"],
    ['toInstant given a boolean', () => toInstant(true, 'knownAt'), 'got the boolean true'],
  ])('%s', (_, run, says) => {
    const message = invalidInput(run).message
    expect(message).toContain(says)
    expect(message).not.toContain('[object Object]')
  })
})
