import { describe, expect, it } from 'vitest'
import {
  parseQualifiedName,
  quoteIdentifier,
  quoteQualifiedName,
  validateIdentifier,
} from '../../src/schema/identifier.js'
import { invalidInput } from '../support/invalid-input.js'


describe('validateIdentifier', () => {
  it.each(['a', 'tax_rates', '_private', 'Rate', 'state_id2', 'select', 'user', 'x'.repeat(63)])(
    'returns the plain identifier %j unchanged',
    (name) => {
      expect(validateIdentifier(name, 'column name')).toBe(name)
    },
  )

  it.each([
    '',
    ' ',
    '1abc',
    'tax-rates',
    'tax rates',
    'a.b',
    'a"b',
    '"quoted"',
    "a'b",
    'a;drop table x',
    'a--',
    'a\u0000',
    'a\nb',
    'täx',
    'naïve',
    '$x',
    'a$',
    'ａ',
  ])('rejects %j and names what it was checking', (name) => {
    const error = invalidInput(() => validateIdentifier(name, 'key column name'))
    expect(error.message).toContain('key column name')
  })

  it('accepts 63 bytes and rejects 64 (PostgreSQL would silently truncate)', () => {
    expect(validateIdentifier('a'.repeat(63), 'table name')).toHaveLength(63)
    const error = invalidInput(() => validateIdentifier('a'.repeat(64), 'table name'))
    expect(error.message).toContain('a'.repeat(64))
    expect(error.message).toContain('63')
  })

  it('rejects __proto__ even though it looks like an identifier', () => {
    const error = invalidInput(() => validateIdentifier('__proto__', 'values column name'))
    expect(error.message).toContain('__proto__')
    expect(error.message).toContain('values column name')
  })

  it.each([undefined, null, 1, {}, Symbol('x')])('rejects the non-string %s', (name) => {
    const error = invalidInput(() => validateIdentifier(name, 'schema of table name'))
    expect(error.message).toContain('schema of table name')
  })

  it('truncates a very long bad name in the message instead of echoing it all', () => {
    const error = invalidInput(() => validateIdentifier(`-${'x'.repeat(10_000)}`, 'table name'))
    expect(error.message.length).toBeLessThan(500)
  })
})

describe('quoteIdentifier / quoteQualifiedName', () => {
  it('double-quotes names, keeping their case', () => {
    expect(quoteIdentifier('Rate')).toBe('"Rate"')
    expect(quoteIdentifier('select')).toBe('"select"')
  })

  it('quotes schema and table separately', () => {
    expect(quoteQualifiedName({ schema: 'billing', name: 'tax_rates' })).toBe('"billing"."tax_rates"')
    expect(quoteQualifiedName({ schema: undefined, name: 'tax_rates' })).toBe('"tax_rates"')
  })
})

describe('parseQualifiedName', () => {
  it('parses an unqualified name with no schema', () => {
    const parsed = parseQualifiedName('tax_rates', 'table name')
    expect(parsed).toEqual({ schema: undefined, name: 'tax_rates' })
    expect(Object.isFrozen(parsed)).toBe(true)
  })

  it('parses schema.table', () => {
    expect(parseQualifiedName('billing.tax_rates', 'table name')).toEqual({ schema: 'billing', name: 'tax_rates' })
  })

  it('says which part is wrong: a bad schema is reported as the schema', () => {
    const error = invalidInput(() => parseQualifiedName('bad-schema.tax_rates', 'table name'))
    expect(error.message).toContain('schema of table name')
    expect(error.message).toContain('bad-schema')
  })

  it.each(['a.b.c', 'db.billing.tax_rates'])('rejects %j with too many dots', (text) => {
    const error = invalidInput(() => parseQualifiedName(text, 'table name'))
    expect(error.message).toContain('too many dots')
  })

  it.each(['', '.tax_rates', 'billing.', '.', 'billing."tax_rates"', 'billing .tax_rates', '__proto__', 'billing.__proto__', '__proto__.t'])(
    'rejects %j',
    (text) => {
      invalidInput(() => parseQualifiedName(text, 'table name'))
    },
  )

  it('rejects a name over 63 bytes in either part', () => {
    invalidInput(() => parseQualifiedName(`${'s'.repeat(64)}.t`, 'table name'))
    invalidInput(() => parseQualifiedName(`s.${'t'.repeat(64)}`, 'table name'))
    expect(parseQualifiedName(`${'s'.repeat(63)}.${'t'.repeat(63)}`, 'table name').name).toHaveLength(63)
  })

  it.each([undefined, null, 42, ['billing', 'tax_rates']])('rejects the non-string %j', (text) => {
    invalidInput(() => parseQualifiedName(text, 'table name'))
  })
})
