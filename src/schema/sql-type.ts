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
 * | `<type>[]` | an array of the above |
 * | anything else | `unknown` |
 *
 * A value column is `T | null` unless its type says `not null`; key columns
 * are always `not null`.
 */
export type SqlTypeToTs<S extends string> =
  Lowercase<Trim<S>> extends infer L extends string ? WithNullability<L, ArrayOrScalar<TypeWord<L>>> : never

/** Like {@link SqlTypeToTs} but never `null` (key columns). */
export type SqlTypeToTsNotNull<S extends string> = Exclude<SqlTypeToTs<S>, null>

type Trim<S extends string> = S extends ` ${infer R}` ? Trim<R> : S extends `${infer R} ` ? Trim<R> : S

/** The first word with any size modifier removed: `numeric(10,2)` gives `numeric`, `text[]` stays `text[]`. */
type TypeWord<L extends string> = StripModifier<L extends `${infer W} ${string}` ? W : L>

type StripModifier<W extends string> = W extends `${infer B}(${string})${infer Rest}` ? `${B}${Rest}` : W

type ArrayOrScalar<W extends string> = W extends `${infer B}[${string}` ? Scalar<B>[] : Scalar<W>

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
