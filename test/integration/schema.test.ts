import { type Kysely, type RawBuilder, sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { DatabaseError, ImmutableHistoryError, InvalidInputError, OverlapError } from '../../src/errors/errors.js'
import { mapDatabaseError } from '../../src/errors/map-database-error.js'
import { install } from '../../src/install/install.js'
import { createTable, dropTable, upgradeTable } from '../../src/schema/create-table.js'
import { defineTable, type TableDefinition } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'

const database = useTestDatabase()

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw SQL on tables the tests create
type Db = Kysely<any>

beforeAll(async () => {
  await install(database().db)
})

/** `value` as an instance of `type`, failing the test if it is not one. */
function instanceOf<T>(type: abstract new (...args: never[]) => T, value: unknown): T {
  expect(value).toBeInstanceOf(type)
  if (!(value instanceof type)) throw new Error(`expected an instance of ${type.name}`)
  return value
}

/** The error `run` rejects with, as thrown by pg. */
async function thrown(run: () => Promise<unknown>): Promise<Error & { code?: string; constraint?: string }> {
  try {
    await run()
  } catch (error) {
    expect(error).toBeInstanceOf(Error)
    return error as Error & { code?: string; constraint?: string }
  }
  throw new Error('expected the statement to fail, but it succeeded')
}

/** Runs `statement` in a transaction of its own. */
async function inTransaction(statement: RawBuilder<unknown>): Promise<void> {
  await database()
    .db.transaction()
    .execute(async (trx) => {
      await statement.execute(trx)
    })
}

/** Every row of `table` as PostgreSQL's text image, sorted: compares stored values exactly (0.15 is not 0.150). */
async function rows(table: string): Promise<string[]> {
  const result = await sql<{ row: string }>`select t::text as row from ${sql.table(table)} t order by 1`.execute(database().db)
  return result.rows.map((r) => r.row)
}

/** Expects `run` to fail with BT001, mapped to ImmutableHistoryError, and `table` to be unchanged afterwards. */
async function expectImmutable(table: string, run: () => Promise<unknown>): Promise<ImmutableHistoryError> {
  const before = await rows(table)
  const error = await thrown(run)
  expect(error.code).toBe('BT001')
  const mapped = mapDatabaseError(error)
  expect(mapped).toBeInstanceOf(ImmutableHistoryError)
  expect(mapped.code).toBe('IMMUTABLE_HISTORY')
  expect(mapped.sqlState).toBe('BT001')
  expect(mapped.cause).toBe(error)
  expect(await rows(table)).toEqual(before)
  return instanceOf(ImmutableHistoryError, mapped)
}

async function exists(relation: string): Promise<boolean> {
  const result = await sql<{ found: boolean }>`select to_regclass(${relation}) is not null as found`.execute(database().db)
  return result.rows[0]?.found === true
}

async function registry(db: Db): Promise<
  { relation: string; key_columns: string[]; value_columns: string[]; effective_column: string; system_column: string }[]
> {
  const result = await sql<{
    relation: string
    key_columns: string[]
    value_columns: string[]
    effective_column: string
    system_column: string
  }>`select relation::text as relation, key_columns, value_columns, effective_column, system_column
     from bitemporal.versioned_table order by relation::text`.execute(db)
  return result.rows
}

let tableCount = 0
/** A fresh bitemporal table `{ id integer } -> { rate numeric, note text }`. */
async function rateTable(): Promise<string> {
  const name = `rates_${++tableCount}`
  await createTable(database().db, defineTable({ name, key: { id: 'integer' }, values: { rate: 'numeric', note: 'text' } }))
  return name
}

describe('createTable: what it makes', () => {
  const taxRates = defineTable({
    name: 'tax_rates',
    key: { state_id: 'integer', tax_type: 'character varying(20)' },
    values: {
      rate: 'numeric(10, 2) not null',
      note: "text default 'n/a'",
      tags: 'text[]',
      decided_at: 'timestamp(3) with time zone',
    },
  })

  beforeAll(async () => {
    await createTable(database().db, taxRates)
  })

  it('creates the table with the key, value and time columns, types, nullability and defaults', async () => {
    const result = await sql<{ name: string; type: string; not_null: boolean; default: string | null }>`
      select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
             pg_get_expr(d.adbin, d.adrelid) as default
      from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where a.attrelid = 'public.tax_rates'::regclass and a.attnum > 0 and not a.attisdropped
      order by a.attnum`.execute(database().db)
    expect(result.rows).toEqual([
      { name: 'state_id', type: 'integer', not_null: true, default: null },
      { name: 'tax_type', type: 'character varying(20)', not_null: true, default: null },
      { name: 'rate', type: 'numeric(10,2)', not_null: true, default: null },
      { name: 'note', type: 'text', not_null: false, default: "'n/a'::text" },
      { name: 'tags', type: 'text[]', not_null: false, default: null },
      { name: 'decided_at', type: 'timestamp(3) with time zone', not_null: false, default: null },
      { name: 'effective', type: 'daterange', not_null: true, default: null },
      {
        name: 'system',
        type: 'tsrange',
        not_null: true,
        default: "tsrange(bitemporal.system_time(), NULL::timestamp without time zone, '[)'::text)",
      },
    ])
  })

  it('creates the exclusion constraint over key, effective and system, and the two range checks', async () => {
    const result = await sql<{ name: string; type: string; definition: string }>`
      select conname as name, contype as type, pg_get_constraintdef(oid) as definition
      from pg_constraint where conrelid = 'public.tax_rates'::regclass
        and contype <> 'n' -- PostgreSQL 18 lists NOT NULL constraints here too
      order by conname`.execute(database().db)
    expect(result.rows.map((r) => [r.name, r.type])).toEqual([
      ['tax_rates_effective_valid', 'c'],
      ['tax_rates_no_overlap', 'x'],
      ['tax_rates_system_valid', 'c'],
    ])
    const exclusion = result.rows.find((r) => r.type === 'x')
    expect(exclusion?.definition).toBe('EXCLUDE USING gist (state_id WITH =, tax_type WITH =, effective WITH &&, system WITH &&)')
  })

  it('creates the partial index on current knowledge', async () => {
    const result = await sql<{ indexdef: string }>`
      select indexdef from pg_indexes where schemaname = 'public' and indexname = 'tax_rates_current'`.execute(database().db)
    expect(result.rows).toEqual([
      { indexdef: 'CREATE INDEX tax_rates_current ON public.tax_rates USING btree (state_id, tax_type, lower(effective)) WHERE upper_inf(system)' },
    ])
  })

  it('creates the indexes of changes: rows by system start, closed rows by system end', async () => {
    const result = await sql<{ indexdef: string }>`
      select indexdef from pg_indexes where schemaname = 'public' and indexname in ('tax_rates_asserted', 'tax_rates_retracted') order by indexname`.execute(
      database().db,
    )
    expect(result.rows).toEqual([
      { indexdef: 'CREATE INDEX tax_rates_asserted ON public.tax_rates USING btree (lower(system))' },
      { indexdef: 'CREATE INDEX tax_rates_retracted ON public.tax_rates USING btree (upper(system)) WHERE (NOT upper_inf(system))' },
    ])
  })

  it('creates the four triggers: insert check, row guards on update and on delete, statement guard on truncate', async () => {
    const result = await sql<{ name: string; definition: string; enabled: string }>`
      select tgname as name, pg_get_triggerdef(oid) as definition, tgenabled as enabled
      from pg_trigger where tgrelid = 'public.tax_rates'::regclass and not tgisinternal order by tgname`.execute(database().db)
    expect(result.rows).toEqual([
      {
        name: 'tax_rates_check_inserted_system',
        definition:
          "CREATE TRIGGER tax_rates_check_inserted_system BEFORE INSERT ON public.tax_rates FOR EACH ROW WHEN (((new.system IS DISTINCT FROM tsrange((now() AT TIME ZONE 'UTC'::text), NULL::timestamp without time zone, '[)'::text)) OR (NOT (ROW(new.state_id, new.tax_type, new.rate, new.note, new.tags, new.decided_at, new.effective, new.system) *= new.*)))) EXECUTE FUNCTION bitemporal.check_inserted_system('system')",
        enabled: 'O',
      },
      {
        name: 'tax_rates_guard_delete',
        definition:
          "CREATE TRIGGER tax_rates_guard_delete BEFORE DELETE ON public.tax_rates FOR EACH ROW EXECUTE FUNCTION bitemporal.guard_history('system')",
        enabled: 'O',
      },
      {
        name: 'tax_rates_guard_history',
        definition: expect.stringMatching(
          /^CREATE TRIGGER tax_rates_guard_history BEFORE UPDATE ON public\.tax_rates FOR EACH ROW WHEN \(\(NOT \(upper_inf\(old\.system\) .* \*= old\.\*\)\)\)\) EXECUTE FUNCTION bitemporal\.guard_history\('system'\)$/,
        ) as string,
        enabled: 'O',
      },
      {
        name: 'tax_rates_guard_truncate',
        definition:
          "CREATE TRIGGER tax_rates_guard_truncate BEFORE TRUNCATE ON public.tax_rates FOR EACH STATEMENT EXECUTE FUNCTION bitemporal.guard_history('system')",
        enabled: 'O',
      },
    ])
  })

  it('records the table in bitemporal.versioned_table', async () => {
    expect((await registry(database().db)).filter((r) => r.relation === 'tax_rates')).toEqual([
      {
        relation: 'tax_rates',
        key_columns: ['state_id', 'tax_type'],
        value_columns: ['rate', 'note', 'tags', 'decided_at'],
        effective_column: 'effective',
        system_column: 'system',
      },
    ])
  })

  it('puts a schema-qualified table in its schema, beside a table of the same name in public', async () => {
    await sql`create schema billing`.execute(database().db)
    const billing = defineTable({ name: 'billing.tax_rates', key: { state_id: 'integer' }, values: { rate: 'numeric' } })
    await createTable(database().db, billing)
    const tables = await sql<{ schema: string; kind: string; name: string }>`
      select n.nspname as schema, c.relkind as kind, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relname like 'tax\_rates%' order by 1, 3`.execute(database().db)
    expect(tables.rows).toEqual([
      { schema: 'billing', kind: 'r', name: 'tax_rates' },
      { schema: 'billing', kind: 'i', name: 'tax_rates_asserted' },
      { schema: 'billing', kind: 'i', name: 'tax_rates_current' },
      { schema: 'billing', kind: 'i', name: 'tax_rates_no_overlap' },
      { schema: 'billing', kind: 'i', name: 'tax_rates_retracted' },
      { schema: 'public', kind: 'r', name: 'tax_rates' },
      { schema: 'public', kind: 'i', name: 'tax_rates_asserted' },
      { schema: 'public', kind: 'i', name: 'tax_rates_current' },
      { schema: 'public', kind: 'i', name: 'tax_rates_no_overlap' },
      { schema: 'public', kind: 'i', name: 'tax_rates_retracted' },
    ])
    const registered = await registry(database().db)
    expect(registered.map((r) => r.relation)).toContain('billing.tax_rates')
    expect(registered.find((r) => r.relation === 'billing.tax_rates')?.key_columns).toEqual(['state_id'])
    // The triggers protect the schema-qualified table too.
    await inTransaction(sql`insert into billing.tax_rates (state_id, rate, effective) values (1, 0.1, '[2023-01-01,)')`)
    await expectImmutable('billing.tax_rates', () => inTransaction(sql`delete from billing.tax_rates`))
  })

  it('is all or nothing: when a later statement of the DDL fails, not even the table is left', async () => {
    // A relation already named like the partial index makes `create index` fail after `create table` succeeded.
    await sql`create table clash_current (id integer)`.execute(database().db)
    const clash = defineTable({ name: 'clash', key: { id: 'integer' }, values: {} })
    const error = await thrown(() => createTable(database().db, clash))
    expect(error).toBeInstanceOf(DatabaseError)
    expect(instanceOf(DatabaseError, error).sqlState).toBe('42P07')
    expect(await exists('public.clash')).toBe(false)
    expect((await registry(database().db)).map((r) => r.relation)).not.toContain('clash')
  })

  it.each([
    { type: 'text[]', says: 'no default operator class' },
    { type: 'citext', says: 'operator family' },
  ])('refuses a key of type $type with an InvalidInputError that names the key and the types that work, leaving nothing', async ({ type, says }) => {
    await sql`create extension if not exists citext`.execute(database().db)
    const name = `odd_key_${type.replace(/\W/g, '')}`
    const odd = defineTable({ name, key: { id: type }, values: {} })
    const error = await thrown(() => createTable(database().db, odd))
    expect(error).toBeInstanceOf(InvalidInputError)
    expect(instanceOf(InvalidInputError, error).message).toContain(`the key (id ${type})`)
    expect(instanceOf(InvalidInputError, error).message).toContain(says)
    expect(instanceOf(InvalidInputError, error).message).toMatch(/Key columns need a type btree_gist compares/)
    expect(await exists(`public.${name}`)).toBe(false)
    expect((await registry(database().db)).map((r) => r.relation)).not.toContain(name)
  })

  it.each([
    { where: 'a value column', definition: defineTable({ name: 'tax_rates_typo', key: { id: 'integer' }, values: { rate: 'int4eger not null' } }), column: 'rate', type: 'int4eger' },
    // With entity: true a composite key's types reach the entity table first, and every key type a function signature.
    {
      where: 'a key column of an entity table',
      definition: defineTable({ name: 'keyed_typo', key: { region: 'txt', number: 'integer' }, values: {}, entity: true }),
      column: 'region',
      type: 'txt',
    },
    { where: 'an array column', definition: defineTable({ name: 'array_typo', key: { id: 'integer' }, values: { tags: 'test[]' } }), column: 'tags', type: 'test[]' },
    { where: 'a schema that does not exist', definition: defineTable({ name: 'schema_typo', key: { id: 'integer' }, values: { amount: 'nowhere.money' } }), column: 'amount', type: 'nowhere.money' },
  ])('a type PostgreSQL does not know, in $where, is an InvalidInputError naming the column and the type, and nothing is created', async ({ definition, column, type }) => {
    const error = instanceOf(InvalidInputError, await thrown(() => createTable(database().db, definition)))
    expect(error.message).toContain(`column "${column}" of "${definition.name}" has type "${type}", which PostgreSQL does not know`)
    expect(error.message).toContain('Hint: An enum, a domain or a composite type must be created before the table')
    expect(error.sqlState).toBe('BT004')
    expect(await exists(`public.${definition.name}`)).toBe(false)
    expect(await exists(`public.${definition.name}_entity`)).toBe(false)
    expect((await registry(database().db)).map((r) => r.relation)).not.toContain(definition.name)
  })

  it.each([
    ['int(11)', 'syntax error at or near "("'],
    ['integer(3)', 'syntax error at or near "("'],
    ['int4(3)', 'type modifier is not allowed for type "int4"'],
    ['text(5)', 'type modifier is not allowed for type "text"'],
    ['timestamp with time zone(3)', 'syntax error at or near "("'],
    ['double precision(2)', 'syntax error at or near "("'],
    ['time without time zone(3)', 'syntax error at or near "("'],
  ])('a type PostgreSQL cannot parse, %s, is an InvalidInputError naming the column, the table and its complaint, and nothing is created', async (type, complaint) => {
    const name = `unparsed_${type.replace(/\W/g, '')}`
    const definition = defineTable({ name, key: { id: 'integer' }, values: { amount: type } })
    const error = instanceOf(InvalidInputError, await thrown(() => createTable(database().db, definition)))
    expect(error.message).toContain(`bitemporal: column "amount" of "${name}" has type "${type}", which PostgreSQL cannot use: ${complaint}`)
    expect(error.sqlState).toBe('BT004')
    expect(await exists(`public.${name}`)).toBe(false)
    expect((await registry(database().db)).map((r) => r.relation)).not.toContain(name)
  })

  it('the type check sees what the migration created before it (an enum, a domain), in the same transaction, and serial shorthands', async () => {
    const shipments = defineTable({
      name: 'shipments',
      key: { id: 'integer' },
      values: { state: 'shipment_state not null', weight: 'positive_grams', note: 'required_note', history: 'shipment_state[]', counter: 'serial' },
    })
    await database()
      .db.transaction()
      .execute(async (trx) => {
        await sql`create type shipment_state as enum ('packed', 'sent')`.execute(trx)
        await sql`create domain positive_grams as integer check (value > 0)`.execute(trx)
        // The check must not cast a null to it: this domain refuses nulls.
        await sql`create domain required_note as text not null`.execute(trx)
        await createTable(trx, shipments)
      })
    expect(await exists('public.shipments')).toBe(true)
  })

  it('an unknown type in a transaction aborts it with the typed error, and rolls back what the transaction did before', async () => {
    const typo = defineTable({ name: 'in_migration', key: { id: 'integer' }, values: { amount: 'numerc(10,2)' } })
    const error = await thrown(() =>
      database()
        .db.transaction()
        .execute(async (trx) => {
          await sql`create table migration_side_effect (id integer)`.execute(trx)
          await createTable(trx, typo)
        }),
    )
    expect(instanceOf(InvalidInputError, error).message).toContain('column "amount" of "in_migration" has type "numerc(10,2)"')
    expect([await exists('public.in_migration'), await exists('public.migration_side_effect')]).toEqual([false, false])
  })

  it('dropTable with { discardHistory: true } removes the table, with its history, and its registry row', async () => {
    const doomed = defineTable({ name: 'billing.doomed', key: { id: 'integer' }, values: { v: 'text' } })
    await createTable(database().db, doomed)
    await inTransaction(sql`insert into billing.doomed (id, v, effective) values (1, 'x', '[2023-01-01,)')`)
    expect((await registry(database().db)).map((r) => r.relation)).toContain('billing.doomed')
    await dropTable(database().db, doomed, { discardHistory: true })
    expect(await exists('billing.doomed')).toBe(false)
    expect((await registry(database().db)).map((r) => r.relation)).not.toContain('billing.doomed')
    // The other tables are still registered.
    expect((await registry(database().db)).map((r) => r.relation)).toEqual(expect.arrayContaining(['tax_rates', 'billing.tax_rates']))
  })
})

describe('the system column: set by the database, one instant per transaction', () => {
  it('an insert without system gets [transaction time in UTC, unbounded)', async () => {
    const table = await rateTable()
    const row = await database()
      .db.transaction()
      .execute(async (trx) => {
        await sql`insert into ${sql.table(table)} (id, rate, effective) values (1, 0.15, '[2023-01-01,)')`.execute(trx)
        const result = await sql<{ lower: string; utc_now: string; lower_inc: boolean; upper_inf: boolean }>`
          select lower(system)::text as lower, (now() at time zone 'utc')::text as utc_now,
                 lower_inc(system) as lower_inc, upper_inf(system) as upper_inf
          from ${sql.table(table)} where id = 1`.execute(trx)
        return result.rows[0]
      })
    expect(row).toBeDefined()
    expect(row?.lower).toBe(row?.utc_now)
    expect(row?.lower_inc).toBe(true)
    expect(row?.upper_inf).toBe(true)
  })

  it.each(['Pacific/Kiritimati', 'America/St_Johns'])('the system time is UTC whatever the session time zone (%s)', async (zone) => {
    const table = await rateTable()
    const row = await database()
      .db.transaction()
      .execute(async (trx) => {
        await sql`select set_config('TimeZone', ${zone}, true)`.execute(trx)
        await sql`insert into ${sql.table(table)} (id, rate, effective) values (1, 0.15, '[2023-01-01,)')`.execute(trx)
        const result = await sql<{ lower: string; utc_now: string; local_now: string; zone: string }>`
          select lower(system)::text as lower, (now() at time zone 'utc')::text as utc_now,
                 localtimestamp::text as local_now, current_setting('TimeZone') as zone
          from ${sql.table(table)} where id = 1`.execute(trx)
        return result.rows[0]
      })
    expect(row?.zone).toBe(zone)
    // The session really is in another zone: its local time differs from UTC ...
    expect(row?.local_now).not.toBe(row?.utc_now)
    // ... and the stored system time is UTC all the same.
    expect(row?.lower).toBe(row?.utc_now)
  })

  it('all rows one transaction inserts, in several statements and tables, share one system lower bound', async () => {
    const first = await rateTable()
    const second = await rateTable()
    const result = await database()
      .db.transaction()
      .execute(async (trx) => {
        await sql`insert into ${sql.table(first)} (id, rate, effective) values (1, 0.1, '[2023-01-01,)')`.execute(trx)
        // Let the wall clock move on, so that clock_timestamp() would give a different value.
        await sql`select pg_sleep(0.02)`.execute(trx)
        await sql`insert into ${sql.table(first)} (id, rate, effective) values (2, 0.2, '[2023-01-01,)'), (3, 0.3, '[2023-01-01,)')`.execute(trx)
        await sql`select pg_sleep(0.02)`.execute(trx)
        await sql`insert into ${sql.table(second)} (id, rate, effective) values (1, 0.1, '[2023-01-01,)')`.execute(trx)
        const lowers = await sql<{ lower: string; count: string }>`
          select lower(system)::text as lower, count(*)::text as count from (
            select system from ${sql.table(first)} union all select system from ${sql.table(second)}) s
          group by 1`.execute(trx)
        return lowers.rows
      })
    expect(result).toHaveLength(1)
    expect(result[0]?.count).toBe('4')
  })

  it.each([
    ['a system range in the past', `tsrange('2000-01-01', null, '[)')`],
    ['a system range in the future', `tsrange(bitemporal.system_time() + interval '1 day', null, '[)')`],
    ['a closed system range', `tsrange(bitemporal.system_time(), bitemporal.system_time() + interval '1 day', '[)')`],
    ['a system range with an exclusive lower bound', `tsrange(bitemporal.system_time(), null, '()')`],
    ['null', 'null'],
  ])('rejects an insert that sets system explicitly: %s', async (_, value) => {
    const table = await rateTable()
    await expectImmutable(table, () =>
      inTransaction(sql`insert into ${sql.table(table)} (id, rate, effective, system) values (1, 0.1, '[2023-01-01,)', ${sql.raw(value)})`),
    )
    expect(await rows(table)).toEqual([])
  })
})

describe('the exclusion constraint: no overlap for one key in valid and system time', () => {
  it('rejects an overlapping row for the same key with 23P01, mapped to OverlapError', async () => {
    const table = await rateTable()
    await inTransaction(sql`insert into ${sql.table(table)} (id, rate, effective) values (1, 0.15, '[2023-01-01,)')`)
    const before = await rows(table)
    const error = await thrown(() =>
      inTransaction(sql`insert into ${sql.table(table)} (id, rate, effective) values (1, 0.19, '[2023-06-01,2023-07-01)')`),
    )
    expect(error.code).toBe('23P01')
    const mapped = mapDatabaseError(error)
    expect(mapped).toBeInstanceOf(OverlapError)
    expect(mapped.code).toBe('OVERLAP')
    expect(mapped.sqlState).toBe('23P01')
    expect(mapped.cause).toBe(error)
    expect(instanceOf(OverlapError, mapped).constraint).toBe(`${table}_no_overlap`)
    expect(await rows(table)).toEqual(before)
  })

  it('rejects two overlapping rows for one key inserted in one transaction', async () => {
    const table = await rateTable()
    const error = await thrown(() =>
      inTransaction(
        sql`insert into ${sql.table(table)} (id, rate, effective) values (1, 0.1, '[2023-01-01,2023-03-01)'), (1, 0.2, '[2023-02-28,)')`,
      ),
    )
    expect(mapDatabaseError(error)).toBeInstanceOf(OverlapError)
    expect(await rows(table)).toEqual([])
  })

  it('accepts the same effective range for different keys, and adjacent ranges [a,b) [b,c) for one key', async () => {
    const table = await rateTable()
    await inTransaction(sql`insert into ${sql.table(table)} (id, rate, effective) values
      (1, 0.1, '[2023-01-01,2023-02-01)'), (2, 0.1, '[2023-01-01,2023-02-01)')`)
    await inTransaction(sql`insert into ${sql.table(table)} (id, rate, effective) values
      (1, 0.2, '[2023-02-01,2023-03-01)'), (1, 0.3, '[2022-12-01,2023-01-01)')`)
    const count = await sql<{ count: string }>`select count(*)::text as count from ${sql.table(table)}`.execute(database().db)
    expect(count.rows[0]?.count).toBe('4')
  })

  it('accepts a closed row and a new current row with the same effective range (a correction)', async () => {
    const table = await rateTable()
    await inTransaction(sql`insert into ${sql.table(table)} (id, rate, effective) values (1, 0.15, '[2023-01-01,)')`)
    await database()
      .db.transaction()
      .execute(async (trx) => {
        await sql`update ${sql.table(table)} set system = tsrange(lower(system), bitemporal.system_time()) where id = 1`.execute(trx)
        await sql`insert into ${sql.table(table)} (id, rate, effective) values (1, 0.19, '[2023-01-01,)')`.execute(trx)
      })
    const result = await sql<{ rate: string; current: boolean; meets: boolean }>`
      select rate::text as rate, upper_inf(system) as current,
             upper(system) is not distinct from (select max(lower(system)) from ${sql.table(table)}) or upper_inf(system) as meets
      from ${sql.table(table)} order by lower(system)`.execute(database().db)
    expect(result.rows).toEqual([
      { rate: '0.15', current: false, meets: true },
      { rate: '0.19', current: true, meets: true },
    ])
  })
})

describe('the history guard: rows are immutable except closing system once', () => {
  let table: string
  const close = 'system = tsrange(lower(system), bitemporal.system_time())'

  beforeAll(async () => {
    table = await rateTable()
    await inTransaction(sql`insert into ${sql.table(table)} (id, rate, note, effective) values (1, 0.15, 'first', '[2023-01-01,2024-01-01)')`)
  })

  it.each([
    ['a value column', `rate = 0.2`],
    ['a value column while closing system', `rate = 0.2, ${close}`],
    ['a value column to null while closing system', `note = null, ${close}`],
    ['the effective range', `effective = '[2022-01-01,2024-01-01)'`],
    ['the effective range while closing system', `effective = '[2023-01-01,)', ${close}`],
    ['a key column while closing system', `id = 2, ${close}`],
    ['nothing at all (set rate = rate)', 'rate = rate'],
    ['the numeric scale only (0.15 to 0.150)', 'rate = 0.150'],
    ['the numeric scale only while closing system', `rate = 0.150, ${close}`],
    ['system to a later time', `system = tsrange(lower(system), bitemporal.system_time() + interval '1 second')`],
    ['system to an earlier time', `system = tsrange(lower(system), bitemporal.system_time() - interval '1 microsecond')`],
    ['system with an inclusive upper bound', `system = tsrange(lower(system), bitemporal.system_time(), '[]')`],
    ['the lower bound of system', `system = tsrange(lower(system) - interval '1 day', bitemporal.system_time())`],
    ['system to the same open range', 'system = system'],
  ])('rejects an UPDATE of %s, leaving the row unchanged', async (_, assignment) => {
    const error = await expectImmutable(table, () => inTransaction(sql`update ${sql.table(table)} set ${sql.raw(assignment)} where id = 1`))
    expect(error.message).toContain(table)
  })

  it('rejects DELETE, leaving the row', async () => {
    const error = await expectImmutable(table, () => inTransaction(sql`delete from ${sql.table(table)} where id = 1`))
    expect(error.message).toContain('DELETE')
  })

  it('rejects TRUNCATE, even of an empty table', async () => {
    const error = await expectImmutable(table, () => inTransaction(sql`truncate ${sql.table(table)}`))
    expect(error.message).toContain('TRUNCATE')
    const empty = await rateTable()
    await expectImmutable(empty, () => inTransaction(sql`truncate ${sql.table(empty)}`))
  })

  it('rejects closing a row in the transaction that inserted it (the range would be empty)', async () => {
    const fresh = await rateTable()
    await expectImmutable(fresh, () =>
      database()
        .db.transaction()
        .execute(async (trx) => {
          await sql`insert into ${sql.table(fresh)} (id, rate, effective) values (1, 0.1, '[2023-01-01,)')`.execute(trx)
          await sql`update ${sql.table(fresh)} set ${sql.raw(close)} where id = 1`.execute(trx)
        }),
    )
  })

  it('closes system once, at the transaction time, in a later transaction; then the row is closed for good', async () => {
    const closing = await rateTable()
    await inTransaction(sql`insert into ${sql.table(closing)} (id, rate, note, effective) values (1, 0.15, 'x', '[2023-01-01,)')`)
    const before = await sql<{ lower: string }>`select lower(system)::text as lower from ${sql.table(closing)}`.execute(database().db)
    const closed = await database()
      .db.transaction()
      .execute(async (trx) => {
        // The UTC transaction time is what counts, not the session's zone.
        await sql`set local time zone 'Pacific/Kiritimati'`.execute(trx)
        const result = await sql<{ lower: string; upper: string; utc_now: string; rate: string; note: string; effective: string }>`
          update ${sql.table(closing)} set ${sql.raw(close)} where id = 1
          returning lower(system)::text as lower, upper(system)::text as upper, (now() at time zone 'utc')::text as utc_now,
                    rate::text as rate, note, effective::text as effective`.execute(trx)
        return result.rows
      })
    expect(closed).toHaveLength(1)
    expect(closed[0]?.lower).toBe(before.rows[0]?.lower)
    expect(closed[0]?.upper).toBe(closed[0]?.utc_now)
    expect(closed[0]).toMatchObject({ rate: '0.15', note: 'x', effective: '[2023-01-01,)' })

    // Closing again, reopening, or even a no-op update of a closed row: all rejected.
    for (const assignment of [close, 'system = tsrange(lower(system), null)', 'rate = rate', 'system = system']) {
      await expectImmutable(closing, () => inTransaction(sql`update ${sql.table(closing)} set ${sql.raw(assignment)} where id = 1`))
    }
  })

  it('after a plain ALTER TABLE … ADD COLUMN refuses every UPDATE until upgradeTable, which then guards the new column too', async () => {
    const altered = await rateTable()
    await inTransaction(sql`insert into ${sql.table(altered)} (id, rate, effective) values (1, 0.15, '[2023-01-01,)')`)
    await sql`alter table ${sql.table(altered)} add column extra text`.execute(database().db)
    const before = await rows(altered)
    // The guards still list the old columns: even a plain close or insert cannot be told from a rewrite.
    const insert = sql`insert into ${sql.table(altered)} (id, rate, extra, effective) values (2, 0.2, 'a', '[2023-01-01,)')`
    for (const statement of [close, `extra = 'changed', ${close}`, insert].map((s) => (typeof s === 'string' ? sql`update ${sql.table(altered)} set ${sql.raw(s)} where id = 1` : s))) {
      const error = await thrown(() => inTransaction(statement))
      expect(error.code).toBe('42804')
      expect(mapDatabaseError(error, { table: altered })).toMatchObject({ code: 'TABLE_NEEDS_UPGRADE', table: altered, message: expect.stringMatching(/upgradeTable\(db, definition\)/) as unknown })
    }
    expect(await rows(altered)).toEqual(before)

    await upgradeTable(database().db, defineTable({ name: altered, key: { id: 'integer' }, values: { rate: 'numeric', note: 'text', extra: 'text' } }))
    await inTransaction(insert)
    for (const id of [1, 2]) {
      await expectImmutable(altered, () =>
        inTransaction(sql`update ${sql.table(altered)} set extra = 'changed', ${sql.raw(close)} where id = ${id}`),
      )
    }
    // Erasing the new value must be caught like any other column's.
    await expectImmutable(altered, () => inTransaction(sql`update ${sql.table(altered)} set extra = null, ${sql.raw(close)} where id = 2`))
    // Closing alone works, with the new column null or not.
    await inTransaction(sql`update ${sql.table(altered)} set ${sql.raw(close)} where id in (1, 2)`)
    const closed = await sql<{ id: number; extra: string | null; open: boolean }>`
      select id, extra, upper_inf(system) as open from ${sql.table(altered)} order by id`.execute(database().db)
    expect(closed.rows).toEqual([
      { id: 1, extra: null, open: false },
      { id: 2, extra: 'a', open: false },
    ])
  })

  it('does not block ALTER TABLE … ADD COLUMN … DEFAULT (the guard does not use the row type)', async () => {
    const defaulted = await rateTable()
    await inTransaction(sql`insert into ${sql.table(defaulted)} (id, rate, effective) values (1, 0.15, '[2023-01-01,)')`)
    await sql`alter table ${sql.table(defaulted)} add column currency text not null default 'EUR'`.execute(database().db)
    const read = await sql<{ currency: string }>`select currency from ${sql.table(defaulted)}`.execute(database().db)
    expect(read.rows).toEqual([{ currency: 'EUR' }])
  })

  it('refuses to drop a value column: the history guard depends on it', async () => {
    const dropping = await rateTable()
    await expect(sql`alter table ${sql.table(dropping)} drop column note`.execute(database().db)).rejects.toMatchObject({ code: '2BP01' })
    const columns = await sql<{ n: number }>`
      select count(*)::int as n from information_schema.columns where table_name = ${dropping} and column_name = 'note'`.execute(database().db)
    expect(columns.rows).toEqual([{ n: 1 }])
  })
})

describe('the effective range check', () => {
  it.each([
    ['an empty range', `'empty'::daterange`],
    ['an empty range written as [a,a)', `daterange('2023-01-01', '2023-01-01')`],
    ['an unbounded lower end', `daterange(null, '2023-01-01')`],
    ['a lower end of -infinity', `daterange('-infinity', '2023-01-01')`],
    ['an upper end of infinity', `daterange('2023-01-01', 'infinity')`],
  ])('rejects %s', async (_, value) => {
    const table = await rateTable()
    const error = await thrown(() =>
      inTransaction(sql`insert into ${sql.table(table)} (id, rate, effective) values (1, 0.1, ${sql.raw(value)})`),
    )
    expect(error.code).toBe('23514')
    expect(error.constraint).toBe(`${table}_effective_valid`)
    const mapped = mapDatabaseError(error)
    expect(mapped).toBeInstanceOf(DatabaseError)
    expect(mapped.sqlState).toBe('23514')
    expect(await rows(table)).toEqual([])
  })

  it('accepts a finite lower end with a finite or unbounded upper end', async () => {
    const table = await rateTable()
    await inTransaction(sql`insert into ${sql.table(table)} (id, rate, effective) values
      (1, 0.1, '[2023-01-01,2023-01-02)'), (2, 0.1, '[2023-01-01,)')`)
    expect(await rows(table)).toHaveLength(2)
  })
})

describe('custom effective and system column names, end to end', () => {
  const prices: TableDefinition = defineTable({
    name: 'prices',
    key: { sku: 'text' },
    values: { cents: 'integer not null' },
    effectiveColumn: 'valid_during',
    systemColumn: 'KnownDuring',
  })

  beforeAll(async () => {
    await createTable(database().db, prices)
  })

  it('fills, guards and closes the custom system column, and excludes overlaps on the custom columns', async () => {
    await inTransaction(sql`insert into prices (sku, cents, valid_during) values ('a', 100, '[2023-01-01,)')`)
    const inserted = await sql<{ upper_inf: boolean }>`select upper_inf("KnownDuring") as upper_inf from prices`.execute(database().db)
    expect(inserted.rows).toEqual([{ upper_inf: true }])

    await expectImmutable('prices', () =>
      inTransaction(sql`insert into prices (sku, cents, valid_during, "KnownDuring") values ('b', 1, '[2023-01-01,)', tsrange('2000-01-01', null))`),
    )
    const overlap = await thrown(() => inTransaction(sql`insert into prices (sku, cents, valid_during) values ('a', 200, '[2023-06-01,)')`))
    expect(instanceOf(OverlapError, mapDatabaseError(overlap)).constraint).toBe('prices_no_overlap')
    await expectImmutable('prices', () => inTransaction(sql`update prices set cents = 101 where sku = 'a'`))
    await expectImmutable('prices', () =>
      inTransaction(sql`update prices set valid_during = '[2022-01-01,)', "KnownDuring" = tsrange(lower("KnownDuring"), bitemporal.system_time())`),
    )

    await database()
      .db.transaction()
      .execute(async (trx) => {
        await sql`update prices set "KnownDuring" = tsrange(lower("KnownDuring"), bitemporal.system_time()) where sku = 'a'`.execute(trx)
        await sql`insert into prices (sku, cents, valid_during) values ('a', 200, '[2023-01-01,)')`.execute(trx)
      })
    const all = await sql<{ cents: number; current: boolean }>`
      select cents, upper_inf("KnownDuring") as current from prices order by lower("KnownDuring")`.execute(database().db)
    expect(all.rows).toEqual([
      { cents: 100, current: false },
      { cents: 200, current: true },
    ])
    const registered = (await registry(database().db)).find((r) => r.relation === 'prices')
    expect(registered).toMatchObject({ effective_column: 'valid_during', system_column: 'KnownDuring', key_columns: ['sku'], value_columns: ['cents'] })
  })
})
