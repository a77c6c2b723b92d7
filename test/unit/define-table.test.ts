import { describe, expect, it } from 'vitest'
import { createTableSql, dropTableSql } from '../../src/schema/create-table-sql.js'
import { defineTable, type TableOptions } from '../../src/schema/define-table.js'
import { invalidInput } from '../support/invalid-input.js'


/** defineTable with loosely typed options, as a JavaScript caller or JSON config would pass them. */
function defineLoose(options: unknown): unknown {
  return defineTable(options as TableOptions<Record<string, string>, Record<string, string>>)
}

const taxRates = defineTable({
  name: 'tax_rates',
  key: { state_id: 'integer', tax_type: 'text' },
  values: { rate: 'numeric not null', note: "text default 'n/a'" },
})

describe('defineTable: a valid definition', () => {
  it('keeps the name, key and values as given and parses every column', () => {
    expect(taxRates.name).toBe('tax_rates')
    expect(taxRates.table).toEqual({ schema: undefined, name: 'tax_rates' })
    expect(taxRates.key).toEqual({ state_id: 'integer', tax_type: 'text' })
    expect(taxRates.values).toEqual({ rate: 'numeric not null', note: "text default 'n/a'" })
    expect(taxRates.keyColumns).toEqual([
      { name: 'state_id', type: 'integer', notNull: true, default: undefined },
      { name: 'tax_type', type: 'text', notNull: true, default: undefined },
    ])
    expect(taxRates.valueColumns).toEqual([
      { name: 'rate', type: 'numeric', notNull: true, default: undefined },
      { name: 'note', type: 'text', notNull: undefined, default: "'n/a'" },
    ])
  })

  it('defaults the time columns to effective and system', () => {
    expect(taxRates.effectiveColumn).toBe('effective')
    expect(taxRates.systemColumn).toBe('system')
  })

  it('takes custom names for the time columns and uses them in the DDL', () => {
    const definition = defineTable({
      name: 'prices',
      key: { sku: 'text' },
      values: { cents: 'integer' },
      effectiveColumn: 'valid_during',
      systemColumn: 'KnownDuring',
    })
    expect(definition.effectiveColumn).toBe('valid_during')
    expect(definition.systemColumn).toBe('KnownDuring')
    const ddl = createTableSql(definition)
    expect(ddl).toContain('"valid_during" daterange not null')
    expect(ddl).toContain(`"KnownDuring" tsrange not null default tsrange(bitemporal.system_time(), null, '[)')`)
    expect(ddl).toContain(`bitemporal.check_inserted_system('KnownDuring')`)
    expect(ddl).toContain(`bitemporal.guard_history('KnownDuring')`)
    expect(ddl).toContain('("sku" with =, "valid_during" with &&, "KnownDuring" with &&)')
    expect(ddl).toContain(`'valid_during', 'KnownDuring')`)
    expect(ddl).not.toMatch(/"effective"|"system"/)
  })

  it('is frozen, deeply: the definition, its key and values, and each column', () => {
    expect(Object.isFrozen(taxRates)).toBe(true)
    expect(Object.isFrozen(taxRates.table)).toBe(true)
    expect(Object.isFrozen(taxRates.key)).toBe(true)
    expect(Object.isFrozen(taxRates.values)).toBe(true)
    expect(Object.isFrozen(taxRates.keyColumns)).toBe(true)
    expect(Object.isFrozen(taxRates.valueColumns)).toBe(true)
    for (const column of [...taxRates.keyColumns, ...taxRates.valueColumns]) expect(Object.isFrozen(column)).toBe(true)
    expect(() => {
      ;(taxRates as { name: string }).name = 'other'
    }).toThrow(TypeError)
  })

  it('copies key and values, so changing the caller object afterwards changes nothing', () => {
    const key: Record<string, string> = { id: 'integer' }
    const values: Record<string, string> = { label: 'text' }
    const definition = defineTable({ name: 'things', key, values })
    key['other'] = 'text'
    values['label'] = 'integer; drop table x'
    expect(definition.key).toEqual({ id: 'integer' })
    expect(definition.values).toEqual({ label: 'text' })
    expect(createTableSql(definition)).not.toContain('drop table')
  })

  it('makes key columns not null whatever their type says, and allows values: {}', () => {
    const definition = defineTable({ name: 'ids', key: { id: 'integer not null' }, values: {} })
    expect(definition.keyColumns).toEqual([{ name: 'id', type: 'integer', notNull: true, default: undefined }])
    expect(definition.valueColumns).toEqual([])
    expect(createTableSql(definition)).toContain(`array['id'], '{}'::text[], 'effective', 'system'`)
  })

  it('parses a schema-qualified name', () => {
    const definition = defineTable({ name: 'billing.tax_rates', key: { id: 'integer' }, values: {} })
    expect(definition.table).toEqual({ schema: 'billing', name: 'tax_rates' })
    const ddl = createTableSql(definition)
    expect(ddl).toContain('create table "billing"."tax_rates" (')
    expect(ddl).toContain(`values ('"billing"."tax_rates"'`)
    // Constraint, index and trigger names are not schema-qualified: they live with the table.
    expect(ddl).toContain('constraint "tax_rates_no_overlap"')
    expect(ddl).toContain('create index "tax_rates_current" on "billing"."tax_rates"')
  })

  it('accepts key and values objects without a prototype', () => {
    const key = Object.assign(Object.create(null) as Record<string, string>, { id: 'integer' })
    const definition = defineLoose({ name: 't', key, values: {} }) as typeof taxRates
    expect(definition.keyColumns.map((c) => c.name)).toEqual(['id'])
  })
})

describe('defineTable: rejected definitions', () => {
  it.each([
    ['a key column twice in key and values', { name: 't', key: { id: 'integer' }, values: { id: 'text' } }, 'id'],
    ['names differing only in case', { name: 't', key: { id: 'integer' }, values: { Rate: 'numeric', rate: 'numeric' } }, 'rate'],
    ['a value column named like a key column in another case', { name: 't', key: { id: 'integer' }, values: { ID: 'text' } }, 'ID'],
    ['a value column named effective', { name: 't', key: { id: 'integer' }, values: { effective: 'text' } }, 'effective'],
    ['a value column named System', { name: 't', key: { id: 'integer' }, values: { System: 'text' } }, 'system'],
    [
      'a value column named like a custom time column',
      { name: 't', key: { id: 'integer' }, values: { valid_during: 'text' }, effectiveColumn: 'valid_during' },
      'valid_during',
    ],
    [
      'the same name for both time columns',
      { name: 't', key: { id: 'integer' }, values: {}, effectiveColumn: 'during', systemColumn: 'During' },
      'during',
    ],
  ])('rejects %s', (_, options, column) => {
    const error = invalidInput(() => defineLoose(options))
    expect(error.message).toContain('appears twice')
    expect(error.message.toLowerCase()).toContain(`"${column.toLowerCase()}`)
  })

  it('rejects an empty key', () => {
    const error = invalidInput(() => defineLoose({ name: 'keyless', key: {}, values: { a: 'text' } }))
    expect(error.message).toContain('"keyless"')
    expect(error.message).toContain('at least one key column')
  })

  it.each([
    ['nullable', 'integer null'],
    ['defaulted', 'integer default 0'],
    ['defaulted to null', 'text default null'],
  ])('rejects a %s key column and names it', (_, type) => {
    const error = invalidInput(() => defineLoose({ name: 't', key: { id: 'integer', tenant: type }, values: {} }))
    expect(error.message).toContain('"tenant"')
  })

  it('rejects a key column with an unsafe type and names the column', () => {
    const error = invalidInput(() => defineLoose({ name: 't', key: { tenant: 'text; drop table x' }, values: {} }))
    expect(error.message).toContain('"tenant"')
  })

  it('rejects a value column with an unsafe type and names the column', () => {
    const error = invalidInput(() => defineLoose({ name: 't', key: { id: 'integer' }, values: { rate: 'numeric default now()' } }))
    expect(error.message).toContain('"rate"')
  })

  it.each([
    ['a bad table name', { name: 'tax-rates', key: { id: 'integer' }, values: {} }, 'tax-rates'],
    ['a bad schema name', { name: 'bill ing.t', key: { id: 'integer' }, values: {} }, 'bill ing'],
    ['a missing name', { key: { id: 'integer' }, values: {} }, 'table name'],
    ['a bad key column name', { name: 't', key: { 'id;': 'integer' }, values: {} }, 'id;'],
    ['a bad value column name', { name: 't', key: { id: 'integer' }, values: { 'my rate': 'numeric' } }, 'my rate'],
    ['a value column name over 63 bytes', { name: 't', key: { id: 'integer' }, values: { ['v'.repeat(64)]: 'text' } }, 'v'.repeat(64)],
    ['a bad effectiveColumn', { name: 't', key: { id: 'integer' }, values: {}, effectiveColumn: 'valid-time' }, 'effectiveColumn'],
    ['a bad systemColumn', { name: 't', key: { id: 'integer' }, values: {}, systemColumn: '' }, 'systemColumn'],
    ['a non-string systemColumn', { name: 't', key: { id: 'integer' }, values: {}, systemColumn: 5 }, 'systemColumn'],
  ])('rejects %s and says which', (_, options, mention) => {
    const error = invalidInput(() => defineLoose(options))
    expect(error.message).toContain(mention)
  })

  it('rejects a JSON-parsed {"__proto__": "text"} key column', () => {
    const key: unknown = JSON.parse('{"__proto__": "text"}')
    expect(Object.keys(key as object)).toEqual(['__proto__'])
    const error = invalidInput(() => defineLoose({ name: 't', key, values: {} }))
    expect(error.message).toContain('__proto__')
  })

  it('rejects a JSON-parsed {"__proto__": ...} value column', () => {
    const values: unknown = JSON.parse('{"__proto__": "numeric"}')
    const error = invalidInput(() => defineLoose({ name: 't', key: { id: 'integer' }, values }))
    expect(error.message).toContain('__proto__')
  })

  it.each([
    ['a Map', new Map([['id', 'integer']])],
    ['an array', ['integer']],
    ['a class instance', new (class Columns {
      id = 'integer'
    })()],
    ['an object inheriting its columns', Object.create({ id: 'integer' }) as unknown],
    ['a string', 'id integer'],
    ['null', null],
    ['undefined', undefined],
  ])('rejects %s as key', (_, key) => {
    const error = invalidInput(() => defineLoose({ name: 'odd', key, values: {} }))
    expect(error.message).toContain('key of "odd"')
  })

  it('rejects a non-plain values object', () => {
    const error = invalidInput(() => defineLoose({ name: 'odd', key: { id: 'integer' }, values: new Date() }))
    expect(error.message).toContain('values of "odd"')
  })

  it.each([null, undefined, 'tax_rates', 42])('rejects %j instead of an options object', (options) => {
    invalidInput(() => defineLoose(options))
  })
})

describe('createTableSql and derived names', () => {
  it('produces the documented DDL for a two-column key', () => {
    const ddl = createTableSql(taxRates)
    expect(ddl).toContain('"state_id" integer not null,\n  "tax_type" text not null,\n  "rate" numeric not null,\n  "note" text default \'n/a\',')
    expect(ddl).toContain(
      'constraint "tax_rates_no_overlap" exclude using gist ("state_id" with =, "tax_type" with =, "effective" with &&, "system" with &&)',
    )
    expect(ddl).toContain('create index "tax_rates_current" on "tax_rates" ("state_id", "tax_type", lower("effective")) where upper_inf("system");')
    expect(ddl).toContain('create index "tax_rates_asserted" on "tax_rates" (lower("system"));')
    expect(ddl).toContain('create index "tax_rates_retracted" on "tax_rates" (upper("system")) where not upper_inf("system");')
    expect(ddl).toContain(`array['state_id', 'tax_type'], array['rate', 'note'], 'effective', 'system')`)
  })

  it('accepts the longest table name whose derived names fit in 63 characters', () => {
    // The longest suffix is "_check_inserted_system" (22 characters).
    const name = 't'.repeat(41)
    const ddl = createTableSql(defineTable({ name, key: { id: 'integer' }, values: {} }))
    expect(ddl).toContain(`"${name}_check_inserted_system"`)
  })

  it('rejects a table name whose derived names would be truncated, naming the table', () => {
    const name = 't'.repeat(42)
    const definition = defineTable({ name, key: { id: 'integer' }, values: {} })
    const error = invalidInput(() => createTableSql(definition))
    expect(error.message).toContain(`"${name}"`)
    invalidInput(() => dropTableSql(definition))
  })

  it('counts only the table, not the schema, towards the derived names', () => {
    const ddl = createTableSql(defineTable({ name: `${'s'.repeat(63)}.${'t'.repeat(41)}`, key: { id: 'integer' }, values: {} }))
    expect(ddl).toContain(`"${'t'.repeat(41)}_no_overlap"`)
  })

  it('dropTableSql removes the registry row, the table and its function, after the guard that refuses to drop rows', () => {
    const definition = defineTable({ name: 'billing.tax_rates', key: { id: 'integer' }, values: {} })
    const drop = `delete from bitemporal.versioned_table where relation = '"billing"."tax_rates"'::regclass;\ndrop table "billing"."tax_rates";\ndrop function "billing"."tax_rates_changed_after";`
    expect(dropTableSql(definition, { discardHistory: true })).toBe(drop)
    const guarded = dropTableSql(definition)
    expect(guarded.endsWith(`$guard$;\n${drop}`)).toBe(true)
    expect(guarded.startsWith('do $guard$')).toBe(true)
    expect(guarded).toContain(`if coalesce(current_setting('bitemporal.discard_history', true), '') not in ('on', 'true') then`)
    expect(guarded).toContain('lock table "billing"."tax_rates" in access exclusive mode;')
    expect(guarded).toContain(`errcode = 'BT005'`)
  })

  it('dropTableSql guards the entity table too', () => {
    const guarded = dropTableSql(defineTable({ name: 'billing.tax_rates', key: { id: 'integer' }, values: {}, entity: true }))
    expect(guarded).toContain('lock table "billing"."tax_rates_entity" in access exclusive mode;')
    expect(guarded).toContain('select count(*) into entities from (select from "billing"."tax_rates_entity" limit 1001) as held;')
  })
})
