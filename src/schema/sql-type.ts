/**
 * The TypeScript type of a column, read from the SQL type written in its
 * table definition. The mapping is small on purpose; see `docs/types.md`.
 *
 * | SQL type (first word, any case) | TypeScript |
 * |---|---|
 * | `smallint`, `integer`, `int`, `int2`, `int4`, `serial`, `smallserial`, `real`, `float4`, `float8`, `double precision` | `number` |
 * | `bigint`, `int8`, `bigserial`, `numeric`, `decimal`, `money` | `string` (lossless) |
 * | `text`, `varchar`, `character varying`, `char`, `character`, `citext`, `uuid`, `name` | `string` |
 * | `date` | `string` (`'YYYY-MM-DD'`) |
 * | `timestamp`, `timestamptz`, `time`, `timetz`, `interval` | `string` (lossless text) |
 * | `boolean`, `bool` | `boolean` |
 * | `bytea` | `Uint8Array` |
 * | `json`, `jsonb` | `unknown` (any JSON value) |
 * | `<type>[]` | an array of the above, elements `T \| null` |
 * | anything else | `unknown` |
 *
 * A value column is `T | null` unless its type says `not null`; key columns
 * are always `not null`.
 */
export type SqlTypeToTs<S extends string> =
  StripQuoted<Lowercase<S>> extends infer L extends string ? WithNullability<L, ArrayOrScalar<TypePart<L>>> : never

/** Like {@link SqlTypeToTs} but never `null` (key columns). */
export type SqlTypeToTsNotNull<S extends string> = Exclude<SqlTypeToTs<S>, null>

// String literals (defaults) are removed first, so `default 'not null'` says nothing about nullability.
type StripQuoted<S extends string> = S extends `${infer A}'${string}'${infer B}` ? `${A}${StripQuoted<B>}` : S

type Cut<S extends string, Separator extends string> = S extends `${infer Before}${Separator}${string}` ? Before : S

type Trim<S extends string> = S extends ` ${infer R}` ? Trim<R> : S extends `${infer R} ` ? Trim<R> : S

/** The type without `not null`, `null` and `default …`: `numeric(10, 2)`, `double precision[]`. */
type TypePart<L extends string> = Trim<Cut<Cut<Cut<Trim<L>, ' default '>, ' not null'>, ' null'>>

/** The first word without size or array suffix: `numeric(10, 2)` gives `numeric`, `text[]` gives `text`. */
type BaseWord<T extends string> = Cut<Cut<Cut<T, ' '>, '('>, '['>

// Elements of a PostgreSQL array may be NULL whatever the column says.
type ArrayOrScalar<T extends string> = T extends `${string}]` ? (Scalar<BaseWord<T>> | null)[] : Scalar<BaseWord<T>>

type WithNullability<L extends string, T> = L extends `${string}not null${string}` ? T : T | null

type Scalar<W extends string> = W extends keyof ScalarTypes ? ScalarTypes[W] : unknown

interface ScalarTypes {
  smallint: number
  integer: number
  int: number
  int2: number
  int4: number
  serial: number
  smallserial: number
  real: number
  float4: number
  float8: number
  double: number
  bigint: string
  int8: string
  bigserial: string
  numeric: string
  decimal: string
  money: string
  text: string
  varchar: string
  character: string
  char: string
  citext: string
  uuid: string
  name: string
  date: string
  timestamp: string
  timestamptz: string
  time: string
  timetz: string
  interval: string
  boolean: boolean
  bool: boolean
  bytea: Uint8Array
  json: unknown
  jsonb: unknown
}
