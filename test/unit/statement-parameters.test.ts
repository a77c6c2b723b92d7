import { describe, expect, it } from 'vitest'
import { StatementParameters } from '../../src/values/statement-parameters.js'

// The one parameter builder of the library's SQL: the write statement, load
// and conversion number their parameters with it instead of by arithmetic.

describe('StatementParameters', () => {
  it('numbers added parameters in the order taken and keeps their values at the same index', () => {
    const parameters = new StatementParameters()
    expect(parameters.add('(0,1)', 'tid')).toBe('$1::text::tid')
    expect(parameters.add('carol', 'text')).toBe('$2::text')
    expect(parameters.add('2020-01-01', 'date')).toBe('$3::text::date')
    expect(parameters.values).toEqual(['(0,1)', 'carol', '2020-01-01'])
    expect(parameters.count).toBe(3)
  })

  it('gives a reserved parameter one position however often and as whatever type it is cast', () => {
    const parameters = new StatementParameters()
    const key = parameters.reserve()
    const expectTime = parameters.reserve()
    expect(key.as('integer')).toBe('$1::text::integer')
    expect(expectTime.as('text')).toBe('$2::text')
    expect(expectTime.as('timestamptz')).toBe('$2::text::timestamptz')
    expect(expectTime.position).toBe(2)
    expect(parameters.values).toEqual([])
  })

  it('refuses a value added after a position was reserved: it would sit at the wrong index', () => {
    const parameters = new StatementParameters()
    parameters.reserve()
    expect(() => parameters.add('x', 'text')).toThrow(/add\(\) after reserve\(\)/)
  })
})
