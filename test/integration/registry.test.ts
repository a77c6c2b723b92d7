import { randomBytes } from 'node:crypto'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { beforeAll, describe, expect, it } from 'vitest'
import { InvalidInputError, NotFoundError } from '../../src/errors/errors.js'
import { install } from '../../src/install/install.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable, type TableDefinition } from '../../src/schema/define-table.js'
import { readRegisteredDefinition } from '../../src/schema/read-registered-definition.js'
import { definitionFromRegistry, registeredDefinition } from '../../src/schema/registered-definition.js'
import { useTestDatabase } from '../support/database.js'

// The registry bitemporal.versioned_table holds each table's whole
// definition (docs/semantics.md §5a): what createTable was given comes back
// from the database equal, however the definition is spelled.

const database = useTestDatabase()

const customers = defineTable({
  name: 'customers',
  key: { region: 'text', customer_id: 'integer' },
  values: { name: 'text not null' },
  entity: true,
})

/** Every kind of definition, each in one table. */
const definitions: readonly TableDefinition[] = [
  customers,
  defineTable({
    name: 'billing.quoted_defaults',
    key: { state_id: 'integer', tax_type: 'character varying(20)' },
    values: {
      // Quotes, a semicolon, a dollar quote and a comment marker inside the literal: the DDL must keep them in it.
      note: "text default 'it''s; $$ -- not a comment $tag$'",
      said: "text not null default 'say \"hi\"'",
      rate: 'numeric(10, 2) not null default 0',
      delta: 'integer default -1',
      enabled: 'boolean null default true',
      tags: "text[] default '{}'",
    },
  }),
  defineTable({
    name: 'audited_events',
    key: { id: 'bigint' },
    values: { payload: 'jsonb', at_time: 'timestamp with time zone not null' },
    effective: 'timestamp',
    effectiveColumn: 'valid_during',
    systemColumn: 'recorded_during',
    audit: true,
  }),
  defineTable({
    name: 'contracts',
    key: { contract_id: 'integer' },
    values: { region: 'text not null', customer_id: 'integer', fee: 'numeric not null' },
    references: [{ table: customers, columns: { customer_id: 'customer_id', region: 'region' }, onParentDelete: 'cascade' }],
  }),
]

async function storedDefinition(relation: string): Promise<unknown> {
  const { rows } = await sql<{ definition: unknown }>`
    select definition from bitemporal.versioned_table where relation = ${relation}::regclass`.execute(database().db)
  return rows[0]?.definition
}

beforeAll(async () => {
  const { db } = database()
  await install(db)
  await sql`create schema billing`.execute(db)
  for (const definition of definitions) await createTable(db, definition)
})

describe('createTable records the whole definition', () => {
  it.each(definitions.map((definition) => [definition.name, definition] as const))('%s reads back equal to what createTable was given', async (name, definition) => {
    const stored = await storedDefinition(name)
    expect(stored).toEqual(registeredDefinition(definition))
    expect(definitionFromRegistry(stored, name)).toEqual(definition)
  })

  it('in a versioned JSON form with every option spelled out and the columns in order', async () => {
    expect(await storedDefinition('billing.quoted_defaults')).toEqual({
      format: 1,
      name: 'billing.quoted_defaults',
      key: [
        { name: 'state_id', type: 'integer' },
        { name: 'tax_type', type: 'character varying(20)' },
      ],
      values: [
        { name: 'note', type: "text default 'it''s; $$ -- not a comment $tag$'" },
        { name: 'said', type: "text not null default 'say \"hi\"'" },
        { name: 'rate', type: 'numeric(10, 2) not null default 0' },
        { name: 'delta', type: 'integer default -1' },
        { name: 'enabled', type: 'boolean null default true' },
        { name: 'tags', type: "text[] default '{}'" },
      ],
      effectiveColumn: 'effective',
      systemColumn: 'system',
      effective: 'date',
      audit: false,
      entity: false,
      references: [],
    })
    const contracts = (await storedDefinition('contracts')) as { references: unknown }
    expect(contracts.references).toEqual([
      { table: registeredDefinition(customers), columns: { region: 'region', customer_id: 'customer_id' }, onParentDelete: 'cascade' },
    ])
  })

  it('a reader role may read it', async () => {
    const { db, url } = database()
    const reader = `bt_registry_reader_${randomBytes(4).toString('hex')}`
    await sql`create role ${sql.id(reader)}`.execute(db)
    await sql`select bitemporal.grant_reader(${reader}::regrole)`.execute(db)
    const asReader = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1, options: `-c role=${reader}` }) }) })
    try {
      const { rows } = await sql<{ definition: unknown }>`
        select definition from bitemporal.versioned_table where relation = 'contracts'::regclass`.execute(asReader)
      expect(definitionFromRegistry(rows[0]?.definition, 'contracts')).toEqual(definitions[3])
    } finally {
      await asReader.destroy()
      await sql`drop owned by ${sql.id(reader)}`.execute(db)
      await sql`drop role ${sql.id(reader)}`.execute(db)
    }
  })
})

describe('a table created before the registry held definitions', () => {
  const readAll = async (): Promise<TableDefinition[]> => {
    const read: TableDefinition[] = []
    for (const definition of definitions) read.push(await readRegisteredDefinition(database().db, definition.name))
    return read
  }

  it('is read from the catalog once, and its definition stored in its registry row', async () => {
    const { db } = database()
    await sql`update bitemporal.versioned_table set definition = null`.execute(db)
    const inferredCustomers = defineTable({
      name: 'public.customers',
      key: { region: 'text', customer_id: 'integer' },
      values: { name: 'text not null' },
      entity: true,
    })
    const expected = [
      inferredCustomers,
      defineTable({
        name: 'billing.quoted_defaults',
        key: { state_id: 'integer', tax_type: 'character varying(20)' },
        values: {
          note: "text default 'it''s; $$ -- not a comment $tag$'",
          said: "text not null default 'say \"hi\"'",
          rate: 'numeric(10,2) not null default 0',
          delta: "integer default '-1'",
          enabled: 'boolean default true',
          tags: "text[] default '{}'",
        },
      }),
      defineTable({
        name: 'public.audited_events',
        key: { id: 'bigint' },
        values: { payload: 'jsonb', at_time: 'timestamp with time zone not null' },
        effective: 'timestamp',
        effectiveColumn: 'valid_during',
        systemColumn: 'recorded_during',
        audit: true,
      }),
      defineTable({
        name: 'public.contracts',
        key: { contract_id: 'integer' },
        values: { region: 'text not null', customer_id: 'integer', fee: 'numeric not null' },
        references: [{ table: inferredCustomers, columns: { region: 'region', customer_id: 'customer_id' }, onParentDelete: 'cascade' }],
      }),
    ]
    expect(await readAll()).toEqual(expected)
    for (const definition of expected) expect(await storedDefinition(definition.name)).toEqual(registeredDefinition(definition))

    // Read once: a change the catalog would show now is not read again.
    await sql`alter table contracts alter column fee set default 1`.execute(db)
    expect((await readRegisteredDefinition(db, 'contracts')).values).toEqual(expected[3]?.values)
  })

  it('an audited table without its guard triggers is told by its audit columns; a default that is not a literal is refused', async () => {
    const { db } = database()
    await sql`update bitemporal.versioned_table set definition = null where relation = 'audited_events'::regclass`.execute(db)
    await sql`drop trigger audited_events_guard_history on audited_events; drop trigger audited_events_guard_delete on audited_events`.execute(db)
    expect((await readRegisteredDefinition(db, 'audited_events')).audit).toBe(true)

    await sql`update bitemporal.versioned_table set definition = null where relation = 'customers'::regclass`.execute(db)
    await sql`alter table customers alter column name set default md5('x')`.execute(db)
    const refused = await readRegisteredDefinition(db, 'customers').catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(InvalidInputError)
    expect((refused as Error).message).toBe(
      `bitemporal: column "name" of public.customers has the default md5('x'::text), which is not a literal; a definition holds literal defaults only (drop the default, or set one that is a literal)`,
    )
    expect(await storedDefinition('customers')).toBeNull()
    await sql`alter table customers alter column name drop default`.execute(db)
  })

  it('an unregistered table is a NotFoundError', async () => {
    await expect(readRegisteredDefinition(database().db, 'no_such_table')).rejects.toBeInstanceOf(NotFoundError)
  })
})
