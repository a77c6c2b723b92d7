import { describe, expect, it } from 'vitest'
import { isLosslessWidening } from '../../src/schema/alter-table/type-widening.js'

describe('isLosslessWidening: the widenings alterTable makes', () => {
  it.each([
    ['smallint', 'integer'],
    ['smallint', 'bigint'],
    ['integer', 'bigint'],
    ['integer', 'numeric'],
    ['bigint', 'numeric'],
    ['character varying(5)', 'character varying(20)'],
    ['character varying(5)', 'character varying'],
    ['character varying(5)', 'text'],
    ['character varying', 'text'],
    ['text', 'character varying'],
    ['numeric(10,2)', 'numeric'],
    ['numeric(10,2)', 'numeric(12,2)'],
    ['timestamp(3) without time zone', 'timestamp without time zone'],
    ['timestamp(3) with time zone', 'timestamp(6) with time zone'],
    ['time(0) without time zone', 'time(3) without time zone'],
  ])('%s → %s', (from, to) => {
    expect(isLosslessWidening(from, to)).toBe(true)
  })

  it.each([
    ['bigint', 'integer'],
    ['integer', 'smallint'],
    ['numeric', 'bigint'],
    ['character varying(20)', 'character varying(5)'],
    ['text', 'character varying(5)'],
    ['numeric', 'numeric(10,2)'],
    ['numeric(12,2)', 'numeric(10,2)'],
    // No value lost, but the recorded text changes: 1.00 would read 1.000.
    ['numeric(10,2)', 'numeric(12,3)'],
    ['real', 'double precision'],
    ['timestamp without time zone', 'timestamp(3) without time zone'],
    ['timestamp without time zone', 'timestamp with time zone'],
    ['date', 'timestamp without time zone'],
    ['text', 'integer'],
    ['integer[]', 'bigint[]'],
  ])('not %s → %s', (from, to) => {
    expect(isLosslessWidening(from, to)).toBe(false)
  })
})
