import { describe, expect, it } from 'vitest'
import { createTableSql, dropTableSql } from '../../src/schema/create-table-sql.js'
import { defineTable, type TableOptions } from '../../src/schema/define-table.js'
import { invalidInput } from '../support/invalid-input.js'

// Issue 7: the options `entity` and `references` of defineTable, and the DDL they add.

function defineLoose(options: unknown): unknown {
  return defineTable(options as TableOptions<Record<string, string>, Record<string, string>>)
}

const customers = defineTable({ name: 'customers', key: { customer_id: 'integer' }, values: { name: 'text' } })
const child = (references: unknown, extra: Record<string, unknown> = {}): unknown =>
  defineLoose({ name: 'contracts', key: { contract_id: 'integer' }, values: { customer_id: 'integer' }, references, ...extra })

describe('references: validation', () => {
  it('defaults: no references, no entity table, restrict', () => {
    expect(customers.references).toEqual([])
    expect(customers.entity).toBe(false)
    const contracts = defineTable({
      name: 'contracts',
      key: { contract_id: 'integer' },
      values: { customer_id: 'integer' },
      references: [{ table: customers, columns: { customer_id: 'customer_id' } }],
    })
    expect(contracts.references).toEqual([{ table: customers, childColumns: ['customer_id'], parentColumns: ['customer_id'], onParentDelete: 'restrict' }])
    expect(Object.isFrozen(contracts.references[0])).toBe(true)
  })

  it('refuses what cannot be a reference to one entity', () => {
    expect(invalidInput(() => child({})).message).toMatch(/must be an array/)
    expect(invalidInput(() => child([{ table: { name: 'x' }, columns: { customer_id: 'customer_id' } }])).message).toMatch(/definition from defineTable/)
    expect(invalidInput(() => child([{ table: customers, columns: { customer_id: 'name' } }])).message).toMatch(/not a key column of "customers"/)
    expect(invalidInput(() => child([{ table: customers, columns: { nope: 'customer_id' } }])).message).toMatch(/"nope" is not a key or value column/)
    expect(invalidInput(() => child([{ table: customers, columns: {} }])).message).toMatch(/columns must map/)
    expect(invalidInput(() => child([{ table: customers, columns: { customer_id: 'customer_id' }, onParentDelete: 'set null' }])).message).toMatch(
      /'restrict' or 'cascade'/,
    )
    // A misspelt onParentDelete must not fall back to 'restrict' without a word.
    expect(invalidInput(() => child([{ table: customers, columns: { customer_id: 'customer_id' }, onParentDelet: 'cascade' }])).message).toBe(
      'bitemporal: references[0] of "contracts": unknown key "onParentDelet"; a reference is { table, columns, onParentDelete? }',
    )
    const composite = defineTable({ name: 'rates', key: { state_id: 'integer', tax_type: 'text' }, values: {} })
    expect(invalidInput(() => child([{ table: composite, columns: { customer_id: 'state_id' } }])).message).toMatch(/map the parent key column\(s\) tax_type/)
    const timed = defineTable({ name: 'timed', key: { id: 'integer' }, values: {}, effective: 'timestamp' })
    expect(invalidInput(() => child([{ table: timed, columns: { customer_id: 'id' } }])).message).toMatch(/ranges of one type/)
    expect(invalidInput(() => child(undefined, { entity: 'yes' })).message).toMatch(/entity of "contracts" must be true or false/)
  })
})

describe('the DDL', () => {
  it('puts a deferred trigger on each side, an index on the referencing columns, and drops the parent side first', () => {
    const contracts = defineTable({
      name: 'contracts',
      key: { contract_id: 'integer' },
      values: { customer_id: 'integer' },
      references: [{ table: customers, columns: { customer_id: 'customer_id' } }],
    })
    const ddl = createTableSql(contracts)
    expect(ddl).toContain(`create index "contracts_reference_0_current" on "contracts" ("customer_id", lower("effective")) where upper_inf("system");`)
    expect(ddl).toContain(`create constraint trigger "contracts_reference_0" after insert on "contracts"\n  deferrable initially deferred for each row`)
    expect(ddl).toContain(`create constraint trigger "contracts_reference_0_parent" after update or delete on "customers"\n  deferrable initially deferred for each row`)
    expect(ddl).toContain(`'restrict');`)
    expect(dropTableSql(contracts, { discardHistory: true }).split('\n')).toEqual([
      `delete from bitemporal.versioned_table where relation = '"contracts"'::regclass;`,
      'drop trigger if exists "contracts_reference_0_parent" on "customers";',
      'drop table "contracts";',
      'drop function "contracts_changed_after";',
    ])
  })

  it('cascade acts at the end of the parent statement; a child keyed by the reference needs no extra index', () => {
    const addresses = defineTable({
      name: 'addresses',
      key: { customer_id: 'integer', kind: 'text' },
      values: {},
      references: [{ table: customers, columns: { customer_id: 'customer_id' }, onParentDelete: 'cascade' }],
    })
    const ddl = createTableSql(addresses)
    expect(ddl).not.toContain('addresses_reference_0_current')
    expect(ddl).toContain(`create trigger "addresses_reference_0_parent" after update or delete on "customers"\n  for each row`)
  })

  it('entity: true creates the entity table first and drops it last', () => {
    const rates = defineTable({ name: 'billing.rates', key: { state_id: 'integer', tax_type: 'text' }, values: {}, entity: true })
    const ddl = createTableSql(rates)
    expect(ddl.startsWith('create table "billing"."rates_entity" (\n  "id" bigint generated always as identity unique,')).toBe(true)
    expect(ddl).toContain('constraint "rates_entity_fk" foreign key ("state_id", "tax_type") references "billing"."rates_entity" ("state_id", "tax_type")')
    expect(dropTableSql(rates).split('\n').at(-1)).toBe('drop table "billing"."rates_entity";')
    const single = createTableSql(defineTable({ name: 'customers', key: { customer_id: 'integer' }, values: {}, entity: true }))
    expect(single).not.toContain('identity')
  })
})
