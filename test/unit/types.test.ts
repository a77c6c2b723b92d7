import { describe, expectTypeOf, it } from 'vitest'
import { defineTable, type KeyOf, type ValuesOf } from '../../src/schema/define-table.js'
import type { SqlTypeToTs, SqlTypeToTsNotNull } from '../../src/schema/sql-type.js'

// These assertions are checked by `tsc -p tsconfig.json --noEmit` (the
// typecheck includes test/); at run time expectTypeOf does nothing.

const taxRates = defineTable({
  name: 'billing.tax_rates',
  key: { state_id: 'integer', tax_type: 'text' },
  values: { rate: 'numeric not null', note: 'text', tags: 'text[]', shape: 'geometry' },
})

describe('KeyOf and ValuesOf', () => {
  it('keeps the SQL types as literal types in the definition', () => {
    expectTypeOf(taxRates.key).toEqualTypeOf<Readonly<{ state_id: 'integer'; tax_type: 'text' }>>()
    expectTypeOf(taxRates.values.rate).toEqualTypeOf<'numeric not null'>()
  })

  it('types the key from the key columns, never null', () => {
    expectTypeOf<KeyOf<typeof taxRates>>().toEqualTypeOf<{ state_id: number; tax_type: string }>()
  })

  it('types the values from the value columns, null unless not null', () => {
    expectTypeOf<ValuesOf<typeof taxRates>>().toEqualTypeOf<{
      rate: string
      note: string | null
      tags: (string | null)[] | null
      shape: unknown
    }>()
  })

  it('keeps key columns not null even when their SQL type would allow null', () => {
    const definition = defineTable({ name: 't', key: { id: 'bigint', at: 'date', tag: 'text[]', raw: 'jsonb' }, values: {} })
    expectTypeOf<KeyOf<typeof definition>>().toEqualTypeOf<{ id: string; at: string; tag: (string | null)[]; raw: unknown }>()
    expectTypeOf<KeyOf<typeof definition>['id']>().not.toBeNullable()
    expectTypeOf(definition).toHaveProperty('values')
    expectTypeOf<keyof typeof definition.values>().toBeNever()
    // eslint-disable-next-line @typescript-eslint/no-generated-empty-object-type -- values: {} gives no value columns, which is the point
    expectTypeOf<keyof ValuesOf<typeof definition>>().toBeNever()
  })

  it('does not let a value column into the key, nor a key column into the values', () => {
    const key: KeyOf<typeof taxRates> = {
      state_id: 1,
      tax_type: 'income_tax',
      // @ts-expect-error rate is a value column, not part of the key
      rate: '0.15',
    }
    // @ts-expect-error the key needs every key column
    const partial: KeyOf<typeof taxRates> = { state_id: 1 }
    // @ts-expect-error state_id is a number
    const wrongType: KeyOf<typeof taxRates> = { state_id: '1', tax_type: 'income_tax' }
    // @ts-expect-error rate is not a key column
    type NotAKey = KeyOf<typeof taxRates>['rate']
    // @ts-expect-error state_id is not a value column
    type NotAValue = ValuesOf<typeof taxRates>['state_id']
    expectTypeOf(key).toHaveProperty('state_id')
    expectTypeOf(key).not.toHaveProperty('rate')
    expectTypeOf<ValuesOf<typeof taxRates>>().not.toHaveProperty('state_id')
    expectTypeOf(partial).toEqualTypeOf(wrongType)
    // The failed lookups are error types (any); had they succeeded, the @ts-expect-error lines above would fail tsc.
    expectTypeOf<NotAKey>().toBeAny()
    expectTypeOf<NotAValue>().toBeAny()
  })
})

describe('SqlTypeToTs', () => {
  it('maps integer types to number', () => {
    expectTypeOf<SqlTypeToTs<'integer'>>().toEqualTypeOf<number | null>()
    expectTypeOf<SqlTypeToTs<'smallint not null'>>().toEqualTypeOf<number>()
    expectTypeOf<SqlTypeToTs<'INTEGER NOT NULL'>>().toEqualTypeOf<number>()
    expectTypeOf<SqlTypeToTs<'int4'>>().toEqualTypeOf<number | null>()
  })

  it('maps floating point types, double precision included, to number', () => {
    expectTypeOf<SqlTypeToTs<'double precision'>>().toEqualTypeOf<number | null>()
    expectTypeOf<SqlTypeToTs<'double precision not null'>>().toEqualTypeOf<number>()
    expectTypeOf<SqlTypeToTs<'real'>>().toEqualTypeOf<number | null>()
  })

  it('maps numeric, bigint and money to string, so nothing is rounded', () => {
    expectTypeOf<SqlTypeToTs<'numeric'>>().toEqualTypeOf<string | null>()
    expectTypeOf<SqlTypeToTs<'numeric not null'>>().toEqualTypeOf<string>()
    expectTypeOf<SqlTypeToTs<'numeric(10,2) not null'>>().toEqualTypeOf<string>()
    expectTypeOf<SqlTypeToTs<'bigint'>>().toEqualTypeOf<string | null>()
    expectTypeOf<SqlTypeToTs<'money not null'>>().toEqualTypeOf<string>()
  })

  it('accepts a size written with a space after the comma, as parseColumnType does', () => {
    expectTypeOf<SqlTypeToTs<'numeric(10, 2)'>>().toEqualTypeOf<string | null>()
    expectTypeOf<SqlTypeToTs<'numeric(10, 2) not null'>>().toEqualTypeOf<string>()
    expectTypeOf<SqlTypeToTs<'numeric(10,2)'>>().toEqualTypeOf<string | null>()
  })

  it('maps an array of a multi-word type to an array', () => {
    expectTypeOf<SqlTypeToTs<'double precision[]'>>().toEqualTypeOf<(number | null)[] | null>()
    expectTypeOf<SqlTypeToTs<'timestamp with time zone[] not null'>>().toEqualTypeOf<(string | null)[]>()
    expectTypeOf<SqlTypeToTs<'character varying(20)[]'>>().toEqualTypeOf<(string | null)[] | null>()
    expectTypeOf<SqlTypeToTs<'integer []'>>().toEqualTypeOf<(number | null)[] | null>()
  })

  it('reads nullability outside string defaults', () => {
    expectTypeOf<SqlTypeToTs<"text default 'not null'">>().toEqualTypeOf<string | null>()
    expectTypeOf<SqlTypeToTs<"text not null default 'x'">>().toEqualTypeOf<string>()
  })

  it('maps text types, dates and timestamps to string', () => {
    expectTypeOf<SqlTypeToTs<'text'>>().toEqualTypeOf<string | null>()
    expectTypeOf<SqlTypeToTs<'character varying(20) not null'>>().toEqualTypeOf<string>()
    expectTypeOf<SqlTypeToTs<'varchar(20)'>>().toEqualTypeOf<string | null>()
    expectTypeOf<SqlTypeToTs<'uuid not null'>>().toEqualTypeOf<string>()
    expectTypeOf<SqlTypeToTs<'date'>>().toEqualTypeOf<string | null>()
    expectTypeOf<SqlTypeToTs<'timestamp with time zone'>>().toEqualTypeOf<string | null>()
    expectTypeOf<SqlTypeToTs<'timestamp(3) with time zone not null'>>().toEqualTypeOf<string>()
    expectTypeOf<SqlTypeToTs<'timestamptz'>>().toEqualTypeOf<string | null>()
    expectTypeOf<SqlTypeToTs<'interval not null'>>().toEqualTypeOf<string>()
  })

  it('maps boolean, bytea and json', () => {
    expectTypeOf<SqlTypeToTs<'boolean not null default false'>>().toEqualTypeOf<boolean>()
    expectTypeOf<SqlTypeToTs<'bool'>>().toEqualTypeOf<boolean | null>()
    expectTypeOf<SqlTypeToTs<'bytea not null'>>().toEqualTypeOf<Uint8Array>()
    expectTypeOf<SqlTypeToTs<'jsonb'>>().toBeUnknown()
    expectTypeOf<SqlTypeToTs<'json not null'>>().toBeUnknown()
  })

  it('maps arrays to arrays of the element type', () => {
    expectTypeOf<SqlTypeToTs<'text[]'>>().toEqualTypeOf<(string | null)[] | null>()
    expectTypeOf<SqlTypeToTs<'text[] not null'>>().toEqualTypeOf<(string | null)[]>()
    expectTypeOf<SqlTypeToTs<'integer[]'>>().toEqualTypeOf<(number | null)[] | null>()
    expectTypeOf<SqlTypeToTs<'numeric(10,2)[] not null'>>().toEqualTypeOf<(string | null)[]>()
  })

  it('maps an unknown type to unknown', () => {
    expectTypeOf<SqlTypeToTs<'geometry'>>().toBeUnknown()
    expectTypeOf<SqlTypeToTs<'billing.status not null'>>().toBeUnknown()
  })

  it('treats a default as not making the column not null', () => {
    expectTypeOf<SqlTypeToTs<'integer default 0'>>().toEqualTypeOf<number | null>()
    expectTypeOf<SqlTypeToTs<'text null'>>().toEqualTypeOf<string | null>()
  })

  it('SqlTypeToTsNotNull never includes null', () => {
    expectTypeOf<SqlTypeToTsNotNull<'integer'>>().toEqualTypeOf<number>()
    expectTypeOf<SqlTypeToTsNotNull<'text[]'>>().toEqualTypeOf<(string | null)[]>()
    expectTypeOf<SqlTypeToTsNotNull<'text null'>>().toEqualTypeOf<string>()
  })
})
