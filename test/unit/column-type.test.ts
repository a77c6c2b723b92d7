import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { InvalidInputError } from '../../src/errors/errors.js'
import { columnTypeSql, parseColumnType } from '../../src/schema/column-type.js'
import { invalidInput } from '../support/invalid-input.js'


describe('parseColumnType accepts a type name with optional size, array, nullability and literal default', () => {
  it.each([
    ['text', 'text'],
    ['integer', 'integer'],
    ['INTEGER', 'integer'],
    ['  text  ', 'text'],
    ['numeric(10,2)', 'numeric(10,2)'],
    ['numeric(10, 2)', 'numeric(10,2)'],
    ['numeric ( 10 , 2 )', 'numeric(10,2)'],
    ['character varying(20)', 'character varying(20)'],
    ['Character  Varying (20)', 'character varying(20)'],
    ['double precision', 'double precision'],
    ['timestamp(3) with time zone', 'timestamp(3) with time zone'],
    ['timestamp with time zone', 'timestamp with time zone'],
    ['text[]', 'text[]'],
    ['integer[][]', 'integer[][]'],
    ['integer[3]', 'integer[3]'],
    ['numeric(10,2)[]', 'numeric(10,2)[]'],
    ['billing.status', 'billing.status'],
  ])('%j has type %j and says nothing about null or default', (input, type) => {
    expect(parseColumnType(input, 'c')).toEqual({ type, notNull: undefined, default: undefined })
  })

  it.each([
    ['numeric not null', { type: 'numeric', notNull: true, default: undefined }],
    ['numeric NOT NULL', { type: 'numeric', notNull: true, default: undefined }],
    ['text null', { type: 'text', notNull: false, default: undefined }],
    ['integer default 0', { type: 'integer', notNull: undefined, default: '0' }],
    ['integer default -1', { type: 'integer', notNull: undefined, default: '-1' }],
    ['numeric(10,2) not null default 1.25', { type: 'numeric(10,2)', notNull: true, default: '1.25' }],
    ['numeric default 1.5 not null', { type: 'numeric', notNull: true, default: '1.5' }],
    ["text default 'n/a'", { type: 'text', notNull: undefined, default: "'n/a'" }],
    ["text default 'it''s'", { type: 'text', notNull: undefined, default: "'it''s'" }],
    ["text default ''", { type: 'text', notNull: undefined, default: "''" }],
    ["text default ';drop--'", { type: 'text', notNull: undefined, default: "';drop--'" }],
    ['boolean default true', { type: 'boolean', notNull: undefined, default: 'true' }],
    ['boolean not null default FALSE', { type: 'boolean', notNull: true, default: 'false' }],
    ['text default null', { type: 'text', notNull: undefined, default: 'null' }],
  ])('%j parses to %j', (input, expected) => {
    expect(parseColumnType(input, 'c')).toEqual(expected)
  })

  it('keeps the spaces inside a string default literal', () => {
    // The default is SQL text that ends up in the DDL: 'not set' and 'notset' are different values.
    expect(parseColumnType("text default 'not set'", 'note').default).toBe("'not set'")
  })

  it('returns a frozen result', () => {
    expect(Object.isFrozen(parseColumnType('numeric not null', 'c'))).toBe(true)
  })
})

describe('parseColumnType rejects anything that is not a type, nullability and a literal default', () => {
  it.each([
    'text; drop table x',
    'text;',
    'text default now()',
    'text default now',
    'text default current_date',
    'text check (1=1)',
    'text check(1 = 1)',
    'text -- x',
    'text /* x */',
    'text default 1; drop table x',
    '"text"',
    'text default "x"',
    "text default 'a\\'",
    "text default 'a\\' or 1=1 --'",
    "text default 'unterminated",
    "text default 'a''",
    "text default e'x'",
    "text default 'a'::text",
    'text default',
    'text default default 1',
    'text default 1 default 2',
    'text not null not null',
    'text null not null',
    'text not null null',
    'text not',
    'not null',
    'null',
    'default 1',
    '(10)',
    '[]',
    "'text'",
    '1',
    'numeric(a)',
    'numeric(10, 2, 3)',
    'numeric(-1)',
    'text[a]',
    'text collate "C"',
    'text\u0000',
    '$1',
    'text $$x$$',
    '',
    '   ',
  ])('rejects %j', (input) => {
    const error = invalidInput(() => parseColumnType(input, 'bad_column'))
    expect(error.message).toContain('"bad_column"')
  })

  it.each([undefined, null, 42, true, {}, ['text']])('rejects the non-string %j', (input) => {
    const error = invalidInput(() => parseColumnType(input, 'odd_column'))
    expect(error.message).toContain('"odd_column"')
  })

  it.each([
    'text unique',
    'text primary key',
    'integer references other_table',
    'integer generated always as (1) stored',
  ])('rejects the column constraint in %j (only a type, nullability and a literal default are allowed)', (input) => {
    const error = invalidInput(() => parseColumnType(input, 'bad_column'))
    expect(error.message).toContain('"bad_column"')
  })
})

describe('columnTypeSql', () => {
  it('rebuilds the DDL from the parsed parts', () => {
    expect(columnTypeSql(parseColumnType('NUMERIC( 10 , 2 )  NOT  NULL  DEFAULT  0', 'c'))).toBe('numeric(10,2) not null default 0')
    expect(columnTypeSql(parseColumnType("text default 'n/a'", 'c'))).toBe("text default 'n/a'")
  })

  it('drops an explicit null (a column is nullable by default) and forces not null when asked', () => {
    expect(columnTypeSql(parseColumnType('text null', 'c'))).toBe('text')
    expect(columnTypeSql(parseColumnType('text', 'c'), true)).toBe('text not null')
    expect(columnTypeSql(parseColumnType('text not null', 'c'), true)).toBe('text not null')
  })
})

/** The SQL outside string literals: what could carry statements or comments. */
function outsideLiterals(text: string): string {
  return text.replace(/'(?:[^']|'')*'/g, "''")
}

const SAFE_OUTSIDE_LITERALS = /^[a-z0-9_ .,()[\]+-]*(?:'')?[a-z0-9_ .,()[\]+-]*$/

describe('property: whatever parseColumnType accepts is safe to put in DDL', () => {
  const fragment = fc.constantFrom(
    'text',
    'integer',
    'numeric',
    'NUMERIC',
    'character',
    'varying',
    'double',
    'precision',
    'with',
    'time',
    'zone',
    'billing.status',
    'not',
    'null',
    'default',
    'true',
    'false',
    '(10)',
    '(10, 2)',
    '[]',
    '[3]',
    '0',
    '-1',
    '+2.5',
    "'n/a'",
    "'it''s'",
    "';--'",
    "'--'",
    "'",
    "''",
    ';',
    '--',
    '-',
    '/*',
    '*/',
    '"',
    '\\',
    '$$',
    '::',
    '=',
    '(',
    ')',
    'now()',
    'check',
    '\n',
    '\t',
    '\u00a0',
  )
  const candidate = fc.oneof(
    fc.array(fragment, { minLength: 1, maxLength: 8 }).chain((parts) =>
      fc.array(fc.constantFrom(' ', '', '  '), { minLength: parts.length, maxLength: parts.length }).map((gaps) =>
        parts.map((part, i) => `${part}${gaps[i] ?? ''}`).join(''),
      ),
    ),
    fc.string({ maxLength: 40 }),
  )

  it('re-emits only safe characters, and ; or -- only inside a quoted literal', () => {
    let accepted = 0
    fc.assert(
      fc.property(candidate, (text) => {
        let parsed
        try {
          parsed = parseColumnType(text, 'c')
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidInputError)
          return
        }
        accepted++
        for (const emitted of [columnTypeSql(parsed), columnTypeSql(parsed, true)]) {
          const outside = outsideLiterals(emitted)
          expect(outside).not.toContain(';')
          expect(outside).not.toContain('--')
          expect(outside).not.toContain('/*')
          expect(outside).toMatch(SAFE_OUTSIDE_LITERALS)
          // A literal, if any, is a well-formed standard string: no backslash, no NUL, quotes doubled.
          expect(emitted).not.toMatch(/[\\\0]/)
          expect(emitted.split("'").length % 2).toBe(1)
        }
      }),
      { numRuns: 2000 },
    )
    // The generator must reach the accepting branch often, or the property says little.
    expect(accepted).toBeGreaterThan(100)
  })
})
