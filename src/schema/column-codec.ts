import { parse as parseArray } from 'postgres-array'
import { describeValue } from '../errors/describe-value.js'
import { InvalidInputError } from '../errors/errors.js'
import type { ColumnDefinition } from './define-table.js'
import { quoteIdentifier } from './identifier.js'
import { toDay, toInstant, toLocalTimestamp } from '../time/date-input.js'
import { arrayLiteral } from '../values/array-literal.js'

/**
 * How one column's values cross between JavaScript and PostgreSQL, decided
 * by the library and not by the caller's `pg` type parsers (docs/semantics.md §5):
 * every column is read as text formatted in SQL independently of DateStyle
 * and TimeZone, and parsed here by its declared type.
 */
export interface ColumnCodec {
  readonly column: ColumnDefinition
  /** The type of `$n::type` for a parameter: the column's, without a length that a cast would truncate to. */
  readonly parameterType: string
  /** A SQL expression that reads the column of `alias` as text. */
  output(alias: string): string
  /**
   * A SQL condition, true when `stored` (the column of a row) and `other` (a
   * stored value or a parameter of {@link parameterType}) are stored
   * differently: compared as text, not with the type's `=`, so that a change
   * the type's equality ignores (`1.5` to `1.50`, `Bob` to `bob` in `citext`)
   * is still a change, and types without `=` (`json`, `xml`, `point`) can be
   * compared at all (decision 81). Both sides are formatted in the same
   * statement, so the session's TimeZone and DateStyle cancel out.
   */
  differs(stored: string, other: string): string
  decode(text: string | null): unknown
  /** Checks and converts a JavaScript value into a query parameter: its text, or null. */
  encode(value: unknown, table: string): string | null
}

type Kind = 'integer' | 'number' | 'exact' | 'text' | 'date' | 'timestamp' | 'timestamptz' | 'boolean' | 'bytea' | 'json' | 'other'

const KINDS: Readonly<Record<string, Kind>> = {
  smallint: 'integer', integer: 'integer', int: 'integer', int2: 'integer', int4: 'integer', serial: 'integer', smallserial: 'integer',
  real: 'number', float4: 'number', float8: 'number', double: 'number',
  bigint: 'exact', int8: 'exact', bigserial: 'exact', numeric: 'exact', decimal: 'exact', money: 'exact',
  text: 'text', varchar: 'text', character: 'text', char: 'text', citext: 'text', uuid: 'text', name: 'text',
  date: 'date', timestamptz: 'timestamptz', timestamp: 'timestamp',
  boolean: 'boolean', bool: 'boolean', bytea: 'bytea', json: 'json', jsonb: 'json',
}

function kindOf(type: string): Kind {
  const word = type.split(/[\s([]/, 1)[0] ?? ''
  const kind = KINDS[word] ?? 'other'
  return kind === 'timestamp' && / with time zone/.test(type) ? 'timestamptz' : kind
}

const INSTANT_FORMAT = `'YYYY-MM-DD"T"HH24:MI:SS.US'`

function outputSql(kind: Kind, column: string): string {
  switch (kind) {
    case 'date':
      return `to_char(${column}, 'YYYY-MM-DD')`
    case 'timestamp':
      return `to_char(${column}, ${INSTANT_FORMAT})`
    case 'timestamptz':
      return `to_char(${column} at time zone 'UTC', ${INSTANT_FORMAT.slice(0, -1)}"Z"')`
    case 'bytea':
      return `encode(${column}, 'hex')`
    default:
      return `${column}::text`
  }
}

// An array's text writes dates and times in the session's DateStyle and
// TimeZone, so their elements are formatted one by one, as scalars are. The
// array comes back one-dimensional, with lower bound 1.
function arrayOutputSql(kind: Kind, column: string): string {
  if (kind !== 'date' && kind !== 'timestamp' && kind !== 'timestamptz') return `${column}::text`
  const elements = `select coalesce(array_agg(${outputSql(kind, 'bt$element.v')} order by bt$element.i), '{}') from unnest(${column}) with ordinality as bt$element(v, i)`
  return `case when ${column} is null then null else (${elements})::text end`
}

function decodeScalar(kind: Kind, text: string): unknown {
  switch (kind) {
    case 'integer':
    case 'number':
      return Number(text)
    case 'boolean':
      return text === 't' || text === 'true'
    case 'json':
      return JSON.parse(text) as unknown
    case 'bytea':
      return new Uint8Array(Buffer.from(text.startsWith('\\x') ? text.slice(2) : text, 'hex'))
    default:
      return text
  }
}

// int4's range; a smallint column's narrower range is left to PostgreSQL (SQLSTATE 22003, an InvalidInputError too).
const INTEGER_LIMIT = 2 ** 31 - 1

// Typed as it behaves: undefined for functions, symbols and undefined itself.
const stringifyJson: (value: unknown) => string | undefined = JSON.stringify

/**
 * A value as the text its parameter carries (`docs/drivers.md`): what
 * PostgreSQL's input function for the column's type reads, the same on
 * every driver.
 */
function encodeScalar(kind: Kind, value: unknown, where: string): string {
  const wrong = (expected: string): InvalidInputError =>
    new InvalidInputError(`${where} must be ${expected}, got ${describeValue(value)}`)
  switch (kind) {
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > INTEGER_LIMIT) throw wrong('an integer (32-bit)')
      return String(value)
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw wrong('a finite number')
      return String(value)
    case 'exact':
      if (typeof value === 'bigint') return value.toString()
      if (typeof value === 'number' && Number.isFinite(value)) return String(value)
      if (typeof value !== 'string' || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value.trim())) throw wrong('a decimal number as a string (or a finite number or bigint)')
      return value
    case 'boolean':
      if (typeof value !== 'boolean') throw wrong('true or false')
      return value ? 'true' : 'false'
    case 'date':
      return toDay(value, where)
    case 'timestamptz':
      return toInstant(value, where)
    case 'timestamp':
      return toLocalTimestamp(value, where)
    case 'json': {
      let json: string | undefined
      try {
        json = stringifyJson(value)
      } catch (error) {
        throw new InvalidInputError(`${where} cannot be written as JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
      }
      // JSON.stringify gives undefined for functions and symbols: storing null instead would lose data silently.
      if (json === undefined) throw wrong('a JSON value')
      return json
    }
    case 'bytea':
      if (!(value instanceof Uint8Array)) throw wrong('a Uint8Array')
      return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`
    case 'text':
      if (typeof value !== 'string') throw wrong('a string')
      if (value.includes('\0')) throw new InvalidInputError(`${where} contains a NUL character, which PostgreSQL text cannot hold`)
      return value
    default:
      // Enums, domains, geometry, intervals…: their text, which only the
      // type's input function knows how to read. An object would need a
      // driver's own serialization, which differs between drivers.
      if (typeof value === 'string') return value
      if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'bigint' || typeof value === 'boolean') return String(value)
      throw wrong("the value in PostgreSQL's text form (a string)")
  }
}

// An explicit cast to a length-limited string type truncates without a word
// ('abcdefg'::varchar(5) is 'abcde', and a key lookup would then find the
// entity 'abcde'); an assignment to the column raises 22001 instead. So
// parameters are cast to the unlimited type and the column's own type is
// left to the INSERT. (bpchar is char without its default length of 1.)
const LENGTH_LIMITED: readonly (readonly [RegExp, string])[] = [
  [/^(?:character varying|char varying|varchar)(?:\(\d+\))?(?=\[|$)/, 'varchar'],
  [/^(?:character|char|bpchar)(?:\(\d+\))?(?=\[|$)/, 'bpchar'],
  [/^(?:bit varying|varbit|bit)(?:\(\d+\))?(?=\[|$)/, 'varbit'],
]

/** The type a parameter of `type` is cast to: `type` itself, unless a cast to it could truncate. */
export function parameterTypeOf(type: string): string {
  for (const [pattern, unlimited] of LENGTH_LIMITED) {
    if (pattern.test(type)) return type.replace(pattern, unlimited)
  }
  return type
}

/** The codec of one column of a table definition. */
export function columnCodec(column: ColumnDefinition): ColumnCodec {
  const isArray = column.type.endsWith(']')
  const kind = kindOf(column.type)
  const parameterType = parameterTypeOf(column.type)
  const isBlankPadded = parameterType.startsWith('bpchar')
  const quoted = quoteIdentifier(column.name)
  return Object.freeze({
    column,
    parameterType,
    differs: (stored: string, other: string) =>
      // A char(n)[] parameter is cast to bpchar[], whose elements lack the
      // padding the column's text shows; bpchar's = ignores trailing blanks,
      // as storing does.
      isBlankPadded ? `${stored} is distinct from ${other}` : `${stored}::text is distinct from (${other})::text`,
    output: (alias: string) => (isArray ? arrayOutputSql(kind, `${alias}.${quoted}`) : outputSql(kind, `${alias}.${quoted}`)),
    decode: (text: string | null) => {
      if (text === null) return null
      return isArray ? parseArray(text, (element) => decodeScalar(kind, element)) : decodeScalar(kind, text)
    },
    encode: (value: unknown, table: string) => {
      const where = `value of column "${column.name}" of "${table}"`
      if (value === null || value === undefined) return null
      if (!isArray) return encodeScalar(kind, value, where)
      if (!Array.isArray(value)) throw new InvalidInputError(`${where} must be an array`)
      return arrayLiteral(value.map((element: unknown, index) => (element === null ? null : encodeScalar(kind, element, `${where}[${index}]`))))
    },
  })
}
