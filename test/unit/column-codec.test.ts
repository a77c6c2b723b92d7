import { describe, expect, it } from 'vitest'
import { defineTable } from '../../src/schema/define-table.js'
import { type ColumnCodec, columnCodec } from '../../src/schema/column-codec.js'
import { invalidInput } from '../support/invalid-input.js'

const TABLE = 'billing.accounts'

const accounts = defineTable({
  name: TABLE,
  key: { id: 'integer' },
  values: {
    count: 'integer',
    small: 'smallint not null',
    ratio: 'double precision',
    rate: 'numeric(10, 4) not null',
    big: 'bigint',
    active: 'boolean',
    opened: 'date',
    seen_at: 'timestamptz',
    seen_at_long: 'timestamp with time zone',
    meta: 'jsonb',
    doc: 'json',
    photo: 'bytea',
    label: 'text',
    code: 'varchar(10)',
    labels: 'text[]',
    counts: 'integer[]',
    amounts: 'numeric[]',
    shape: 'geometry',
  },
})

const codecs = new Map(accounts.valueColumns.map((column) => [column.name, columnCodec(column)]))

function codec(name: keyof typeof accounts.values): ColumnCodec {
  const found = codecs.get(name)
  if (found === undefined) throw new Error(`no column ${name}`)
  return found
}

const encode = (name: keyof typeof accounts.values, value: unknown): unknown => codec(name).encode(value, TABLE)

/** Expects encoding `value` into `name` to fail with an InvalidInputError that names the column and the table. */
function rejected(name: keyof typeof accounts.values, value: unknown): string {
  const error = invalidInput(() => encode(name, value))
  expect(error.message).toContain(`"${name}"`)
  expect(error.message).toContain(TABLE)
  return error.message
}

describe('columnCodec: null', () => {
  it.each([...codecs.keys()])('encodes null and undefined as SQL NULL and decodes NULL as null (%s)', (name) => {
    const c = codecs.get(name)
    expect(c?.encode(null, TABLE)).toBeNull()
    expect(c?.encode(undefined, TABLE)).toBeNull()
    expect(c?.decode(null)).toBeNull()
  })

  it('uses the declared type as the parameter type', () => {
    expect(codec('rate').parameterType).toBe('numeric(10,4)')
    expect(codec('labels').parameterType).toBe('text[]')
    expect(codec('seen_at_long').parameterType).toBe('timestamp with time zone')
  })
})

describe('columnCodec: numbers', () => {
  it('sends finite numbers as their text and decodes text to numbers', () => {
    expect(encode('count', 42)).toBe('42')
    expect(encode('small', -7)).toBe('-7')
    expect(encode('ratio', 0.1)).toBe('0.1')
    expect(codec('count').decode('42')).toBe(42)
    expect(codec('ratio').decode('0.1')).toBe(0.1)
    expect(codec('ratio').decode('-1.5e-7')).toBe(-1.5e-7)
  })

  it.each([
    ['a numeric string', '42'],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a bigint', 42n],
    ['a boolean', true],
    ['an object', { value: 1 }],
  ])('rejects %s, naming the column', (_, value) => {
    rejected('count', value)
    rejected('ratio', value)
  })

  it('rejects a fraction for an integer column before PostgreSQL does (22P02 after sending)', () => {
    rejected('count', 1.5)
    rejected('small', 0.25)
  })
})

describe('columnCodec: exact numerics (numeric, bigint) as strings', () => {
  it('keeps decimal strings exactly as given', () => {
    expect(encode('rate', '0.15')).toBe('0.15')
    expect(encode('rate', '-12345678901234567890.1234')).toBe('-12345678901234567890.1234')
    expect(encode('rate', '1e-3')).toBe('1e-3')
  })

  it('turns finite numbers and bigints into strings', () => {
    expect(encode('rate', 0.15)).toBe('0.15')
    expect(encode('big', 9_007_199_254_740_993n)).toBe('9007199254740993')
    expect(encode('big', -(2n ** 63n))).toBe('-9223372036854775808')
  })

  it('decodes to strings, losslessly beyond 2^53', () => {
    expect(codec('big').decode('9223372036854775807')).toBe('9223372036854775807')
    expect(codec('big').decode('9007199254740993')).toBe('9007199254740993')
    expect(codec('rate').decode('0.1500')).toBe('0.1500')
  })

  it.each([
    ['text', 'abc'],
    ['an empty string', ''],
    ['a comma decimal', '1,5'],
    ['two numbers', '1 2'],
    ['SQL', "1); drop table x; --"],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a boolean', false],
    ['an array', ['1']],
  ])('rejects %s, naming the column', (_, value) => {
    rejected('rate', value)
    rejected('big', value)
  })
})

describe('columnCodec: boolean', () => {
  it('sends booleans as true/false text and decodes t/f', () => {
    expect(encode('active', true)).toBe('true')
    expect(encode('active', false)).toBe('false')
    expect(codec('active').decode('t')).toBe(true)
    expect(codec('active').decode('true')).toBe(true)
    expect(codec('active').decode('f')).toBe(false)
    expect(codec('active').decode('false')).toBe(false)
  })

  it.each([['true'], ['t'], [1], [0]])('rejects %j, naming the column', (value) => {
    rejected('active', value)
  })
})

describe('columnCodec: date', () => {
  it('accepts days and Dates (their UTC day) and decodes to the same text', () => {
    expect(encode('opened', '2024-02-29')).toBe('2024-02-29')
    expect(encode('opened', new Date('2023-01-01T23:30:00-05:00'))).toBe('2023-01-02')
    expect(codec('opened').decode('2023-01-01')).toBe('2023-01-01')
    expect(codec('opened').output('t')).toBe(`to_char(t."opened", 'YYYY-MM-DD')`)
  })

  it.each([['2023-02-30'], ['2023-02-29'], ['infinity'], ['2023-01-01T00:00:00Z'], [20230101], [new Date(Number.NaN)]])(
    'rejects %j, naming the column',
    (value) => {
      rejected('opened', value)
    },
  )
})

describe('columnCodec: timestamptz', () => {
  it('keeps instants with Z or an offset as given, microseconds included', () => {
    expect(encode('seen_at', '2023-01-01T00:00:00.123456Z')).toBe('2023-01-01T00:00:00.123456Z')
    expect(encode('seen_at', '2023-01-01T05:30:00+05:30')).toBe('2023-01-01T05:30:00+05:30')
    expect(encode('seen_at_long', new Date('2023-01-01T00:00:00.123Z'))).toBe('2023-01-01T00:00:00.123Z')
  })

  it('reads the column as UTC text with microseconds and Z, whatever the session TimeZone', () => {
    for (const name of ['seen_at', 'seen_at_long'] as const) {
      expect(codec(name).output('t')).toBe(`to_char(t."${name}" at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`)
    }
    expect(codec('seen_at').decode('2023-01-01T00:00:00.123456Z')).toBe('2023-01-01T00:00:00.123456Z')
  })

  it.each([['2023-01-01T00:00:00'], ['2023-01-01'], ['now'], [Date.UTC(2023, 0, 1)]])('rejects %j, naming the column', (value) => {
    rejected('seen_at', value)
  })
})

describe('columnCodec: json and jsonb', () => {
  it('sends JSON text: objects, arrays (as JSON, not PostgreSQL arrays), strings, numbers, booleans', () => {
    expect(encode('meta', { a: 1, b: [true, null] })).toBe('{"a":1,"b":[true,null]}')
    expect(encode('meta', [1, 'two', { three: 3 }])).toBe('[1,"two",{"three":3}]')
    expect(encode('doc', [])).toBe('[]')
    expect(encode('meta', 'text')).toBe('"text"')
    expect(encode('meta', 0)).toBe('0')
    expect(encode('meta', false)).toBe('false')
  })

  it('decodes JSON text to values', () => {
    expect(codec('meta').decode('{"a": 1, "b": [true, null]}')).toEqual({ a: 1, b: [true, null] })
    expect(codec('meta').decode('[1, "two"]')).toEqual([1, 'two'])
    expect(codec('doc').decode('"text"')).toBe('text')
    expect(codec('meta').decode('-1.5e3')).toBe(-1500)
  })

  it('rejects values JSON cannot hold with InvalidInputError naming the column, not a TypeError', () => {
    const circular: Record<string, unknown> = {}
    circular['self'] = circular
    rejected('meta', 1n)
    rejected('meta', { amount: 1n })
    rejected('meta', circular)
  })

  it('rejects values JSON.stringify turns into nothing (they would be stored as SQL NULL)', () => {
    rejected('meta', () => 1)
    rejected('meta', Symbol('x'))
  })

  it('sends a jsonb[] column as a PostgreSQL array of JSON texts', () => {
    const [docs] = defineTable({ name: 't', key: { id: 'integer' }, values: { docs: 'jsonb[]' } }).valueColumns
    if (docs === undefined) throw new Error('no column docs')
    const jsonArray = columnCodec(docs)
    // The array's text with each element's JSON quoted, which PostgreSQL reads as jsonb[].
    // One JSON text '[{"a":1},[2]]' is a malformed array literal for jsonb[].
    expect(jsonArray.encode([{ a: 1 }, [2]], 't')).toBe('{"{\\"a\\":1}","[2]"}')
    expect(jsonArray.decode('{"{\\"a\\": 1}","[2]",NULL}')).toEqual([{ a: 1 }, [2], null])
  })
})

describe('columnCodec: bytea', () => {
  it('sends Uint8Array (and Buffer) as bytea hex text over the same bytes', () => {
    expect(encode('photo', new Uint8Array([0, 1, 2, 254, 255]))).toBe('\\x000102feff')
    const view = new Uint8Array(new Uint8Array([9, 8, 7, 6]).buffer, 1, 2)
    expect(encode('photo', view)).toBe('\\x0807')
    expect(encode('photo', Buffer.from([3]))).toBe('\\x03')
  })

  it('reads hex and decodes to a Uint8Array', () => {
    expect(codec('photo').output('t')).toBe(`encode(t."photo", 'hex')`)
    const decoded = codec('photo').decode('0001fe')
    expect(decoded).toBeInstanceOf(Uint8Array)
    expect([...(decoded as Uint8Array)]).toEqual([0, 1, 254])
    expect([...(codec('photo').decode('\\x0a0b') as Uint8Array)]).toEqual([10, 11])
    expect([...(codec('photo').decode('') as Uint8Array)]).toEqual([])
  })

  it.each([['a string', 'deadbeef'], ['an array of numbers', [1, 2]], ['an ArrayBuffer', new ArrayBuffer(2)]])(
    'rejects %s, naming the column',
    (_, value) => {
      rejected('photo', value)
    },
  )
})

describe('columnCodec: text', () => {
  it('passes strings verbatim, SQL-looking ones included', () => {
    expect(encode('label', "'); drop table x; --")).toBe("'); drop table x; --")
    expect(encode('code', 'é€😀')).toBe('é€😀')
    expect(encode('label', '')).toBe('')
    expect(codec('label').decode("it's")).toBe("it's")
  })

  it('rejects a NUL character, which PostgreSQL text cannot hold', () => {
    const message = rejected('label', 'a\0b')
    expect(message).toMatch(/NUL/)
  })

  it.each([['a number', 1], ['a boolean', true], ['an object', { text: 'x' }], ['a Date', new Date(0)]])('rejects %s, naming the column', (_, value) => {
    rejected('label', value)
    rejected('code', value)
  })
})

describe('columnCodec: arrays', () => {
  it('sends arrays as their text, every element quoted, nulls kept', () => {
    expect(encode('labels', ['a', null, 'b c', 'NULL', '{"x"}', 'back\\slash'])).toBe('{"a",NULL,"b c","NULL","{\\"x\\"}","back\\\\slash"}')
    expect(encode('counts', [1, null, 3])).toBe('{"1",NULL,"3"}')
    expect(encode('amounts', ['1.10', 2n, 3])).toBe('{"1.10","2","3"}')
    expect(encode('labels', [])).toBe('{}')
  })

  it('decodes PostgreSQL array text, telling NULL from the string "NULL"', () => {
    expect(codec('labels').decode('{a,NULL,"b c","NULL","{\\"x\\"}"}')).toEqual(['a', null, 'b c', 'NULL', '{"x"}'])
    expect(codec('counts').decode('{1,NULL,3}')).toEqual([1, null, 3])
    expect(codec('amounts').decode('{1.10,NULL}')).toEqual(['1.10', null])
    expect(codec('labels').decode('{}')).toEqual([])
    expect(codec('labels').output('t')).toBe('t."labels"::text')
  })

  it('rejects a non-array, naming the column', () => {
    rejected('labels', 'a')
    rejected('counts', { 0: 1 })
  })

  it('rejects a wrong element, naming the column and the index', () => {
    expect(rejected('labels', ['a', 1])).toContain('[1]')
    expect(rejected('counts', [1, '2'])).toContain('[1]')
    expect(rejected('labels', ['ok', 'bad\0'])).toContain('[1]')
  })
})

describe('columnCodec: other types', () => {
  it('passes values of types it does not know through for PostgreSQL to read', () => {
    expect(encode('shape', 'POINT(1 2)')).toBe('POINT(1 2)')
    expect(codec('shape').decode('POINT(1 2)')).toBe('POINT(1 2)')
    expect(codec('shape').output('t')).toBe('t."shape"::text')
  })

  it('sends numbers, bigints and booleans as their text, and refuses an object, which only some drivers would know how to write (docs/drivers.md)', () => {
    expect(encode('shape', 7)).toBe('7')
    expect(encode('shape', 7n)).toBe('7')
    expect(encode('shape', false)).toBe('false')
    expect(rejected('shape', { x: 1, y: 2 })).toContain("PostgreSQL's text form")
    expect(rejected('shape', new Date(0))).toContain('"shape"')
  })
})
