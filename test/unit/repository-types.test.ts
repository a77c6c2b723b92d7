import type { Kysely } from 'kysely'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { bitemporal } from '../../src/repository/bitemporal.js'
import type { Repository, WriteResult } from '../../src/repository/repository.js'
import type { Version, VersionAudit } from '../../src/codec/decode-version.js'
import type { NewValues, ValuesPatch } from '../../src/codec/write-values.js'
import { defineTable, type KeyOf } from '../../src/schema/define-table.js'

// Checked by `tsc -p tsconfig.json --noEmit` (the typecheck includes test/).
// The calls on `db` sit in functions that are type-checked but never run:
// `db` is only declared. Each test also makes one real assertion at run time.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the repository takes any Kysely
declare const db: Kysely<any>

const taxRates = defineTable({
  name: 'billing.tax_rates',
  key: { state_id: 'integer', tax_type: 'text' },
  values: {
    rate: 'numeric not null',
    note: 'text',
    priority: 'integer not null default 0',
    tags: 'text[]',
    label: "text default 'not null'",
  },
})

type D = typeof taxRates
const key = { state_id: 1, tax_type: 'income_tax' }

describe('bitemporal(db, definition)', () => {
  it('gives a Repository typed by the definition', () => {
    const make = (): Repository<D> => bitemporal(db, taxRates)
    expectTypeOf(make).returns.toEqualTypeOf<Repository<D>>()
    expectTypeOf<Repository<D>['definition']>().toEqualTypeOf<D>()
    expect(typeof make).toBe('function')
  })
})

describe('keys', () => {
  it('rejects an unknown key column and a missing one at compile time', () => {
    function typeOnly(repo: Repository<D>): void {
      // @ts-expect-error nope is not a key column (and the key columns are missing)
      void repo.asOf({ nope: 1 })
      // @ts-expect-error tax_type is missing
      void repo.asOf({ state_id: 1 })
      // @ts-expect-error state_id is a number
      void repo.timeline({ state_id: '1', tax_type: 'vat' })
      // @ts-expect-error rate is a value column, not a key column
      void repo.history({ state_id: 1, tax_type: 'vat', rate: '0.1' })
      // @ts-expect-error a key value is never null
      void repo.lastChange({ state_id: null, tax_type: 'vat' })
      // @ts-expect-error the key is an object
      void repo.set([1, 'vat'], { from: '2023-01-01' }, { rate: '0.1' })
      void repo.asOf(key)
    }
    expectTypeOf(typeOnly).parameter(0).toEqualTypeOf<Repository<D>>()
    expectTypeOf<Parameters<Repository<D>['asOf']>[0]>().toEqualTypeOf<KeyOf<D>>()
    expectTypeOf<KeyOf<D>>().toEqualTypeOf<{ state_id: number; tax_type: string }>()
    expect(typeof typeOnly).toBe('function')
  })
})

describe('values of set and insert (NewValues)', () => {
  it('requires the not-null columns without a default, and only those', () => {
    expectTypeOf<NewValues<D>>().toHaveProperty('rate')
    expectTypeOf<NewValues<D>['rate']>().toEqualTypeOf<string>()
    expectTypeOf<{ rate: string }>().toExtend<NewValues<D>>()
    expectTypeOf<{ note: string }>().not.toExtend<NewValues<D>>()
    expectTypeOf<{ rate: string; note: null; priority: number; tags: (string | null)[]; label: string | null }>().toExtend<NewValues<D>>()
    // Optional: nullable columns, and columns with a default (even `not null default 0`).
    expectTypeOf<NewValues<D>>().toExtend<{ note?: string | null; priority?: number; tags?: (string | null)[] | null; label?: string | null }>()
    expectTypeOf<{ rate: string; priority: null }>().not.toExtend<NewValues<D>>()
    expect(taxRates.valueColumns.map((c) => c.name)).toEqual(['rate', 'note', 'priority', 'tags', 'label'])
  })

  it('checks the values of set and insert calls', () => {
    function typeOnly(repo: Repository<D>): void {
      void repo.set(key, { from: '2023-01-01' }, { rate: '0.15' })
      void repo.insert(key, { from: '2023-01-01', to: '2024-01-01' }, { rate: '0.15', note: null, priority: 2, tags: ['a'] })
      // @ts-expect-error rate is not null and has no default
      void repo.set(key, { from: '2023-01-01' }, {})
      // @ts-expect-error rate is not null and has no default
      void repo.insert(key, { from: '2023-01-01' }, { note: 'x' })
      // @ts-expect-error rate is not null
      void repo.set(key, { from: '2023-01-01' }, { rate: null })
      // @ts-expect-error numeric is a string, lossless
      void repo.set(key, { from: '2023-01-01' }, { rate: 0.15 })
      // @ts-expect-error nope is not a value column
      void repo.set(key, { from: '2023-01-01' }, { rate: '0.15', nope: 1 })
      // @ts-expect-error state_id is a key column, not a value
      void repo.set(key, { from: '2023-01-01' }, { rate: '0.15', state_id: 2 })
      // @ts-expect-error a portion needs from
      void repo.set(key, { to: '2023-01-01' }, { rate: '0.15' })
      // @ts-expect-error dates are strings or Dates
      void repo.set(key, { from: 20230101 }, { rate: '0.15' })
      void repo.set(key, { from: '2023-01-01' }, { rate: '0.15' }, { expect: '2023-01-01T00:00:00.123456Z' })
      // @ts-expect-error expect is the systemTime string: a Date drops its microseconds
      void repo.set(key, { from: '2023-01-01' }, { rate: '0.15' }, { expect: new Date() })
    }
    expect(typeof typeOnly).toBe('function')
  })
})

describe('patches of update and correct (ValuesPatch)', () => {
  it('is partial: any value columns, none required', () => {
    expectTypeOf<ValuesPatch<D>>().toEqualTypeOf<{
      rate?: string
      note?: string | null
      priority?: number
      tags?: (string | null)[] | null
      label?: string | null
    }>()
    function typeOnly(repo: Repository<D>): void {
      void repo.update(key, { from: '2023-01-01' }, {})
      void repo.update(key, { from: '2023-01-01', to: null }, { note: null })
      void repo.correct(key, { at: '2023-01-15' }, { priority: 3 })
      // @ts-expect-error rate is not null
      void repo.update(key, { from: '2023-01-01' }, { rate: null })
      // @ts-expect-error nope is not a value column
      void repo.correct(key, { at: '2023-01-15' }, { nope: 1 })
      // @ts-expect-error correct takes { at }
      void repo.correct(key, { from: '2023-01-15' }, { note: 'x' })
      // @ts-expect-error delete takes no values
      void repo.delete(key, { from: '2023-01-01' }, { note: 'x' })
    }
    expect(typeof typeOnly).toBe('function')
  })
})

describe('what reads and writes return', () => {
  it('types a version from the definition: numeric not null is string', () => {
    expectTypeOf<Version<D>['values']['rate']>().toEqualTypeOf<string>()
    expectTypeOf<Version<D>['values']['note']>().toEqualTypeOf<string | null>()
    expectTypeOf<Version<D>['values']['tags']>().toEqualTypeOf<(string | null)[] | null>()
    expectTypeOf<Version<D>['key']>().toEqualTypeOf<{ state_id: number; tax_type: string }>()
    expectTypeOf<Version<D>['effective']['to']>().toEqualTypeOf<string | null>()
    expectTypeOf<Version<D>['audit']>().toEqualTypeOf<VersionAudit | undefined>()
    expectTypeOf<Awaited<ReturnType<Repository<D>['asOf']>>>().toEqualTypeOf<Version<D> | undefined>()
    expectTypeOf<Awaited<ReturnType<Repository<D>['timeline']>>>().toEqualTypeOf<Version<D>[]>()
    expectTypeOf<Awaited<ReturnType<Repository<D>['lastChange']>>>().toEqualTypeOf<string | null>()
    expectTypeOf<Awaited<ReturnType<Repository<D>['set']>>>().toEqualTypeOf<WriteResult>()
    expectTypeOf<WriteResult['systemTime']>().toEqualTypeOf<string | null>()
    function typeOnly(version: Version<D>): unknown {
      // @ts-expect-error nope is not a value column
      const nope: unknown = version.values.nope
      return nope
    }
    expect(typeof typeOnly).toBe('function')
  })

  it('types bigint, boolean, json and bytea values', () => {
    const kinds = defineTable({
      name: 'kinds',
      key: { id: 'bigint' },
      values: { big: 'bigint not null', flag: 'boolean', doc: 'jsonb', photo: 'bytea not null' },
    })
    expectTypeOf<Version<typeof kinds>['key']>().toEqualTypeOf<{ id: string }>()
    expectTypeOf<Version<typeof kinds>['values']>().toEqualTypeOf<{ big: string; flag: boolean | null; doc: unknown; photo: Uint8Array }>()
    expectTypeOf<{ big: string; photo: Uint8Array }>().toExtend<NewValues<typeof kinds>>()
    expectTypeOf<{ big: string }>().not.toExtend<NewValues<typeof kinds>>()
    expect(kinds.keyColumns[0]?.name).toBe('id')
  })
})
