import { type Kysely, sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { bitemporal, convertToBitemporal, type ConvertProgress, defineTable, install } from '../../src/index.js'
import { useTestDatabase } from '../support/database.js'
import { one } from '../support/one-row.js'
import { rejectsWithCode } from '../support/rejects-with-code.js'

// Issue 7, item 4: a plain soft-delete table becomes a bitemporal one with
// backfilled history, in one transaction, with a compatibility view.

const database = useTestDatabase()

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw SQL on tables the tests create
type Db = Kysely<any>

const db = (): Db => database().db

/** Relations of the public schema, with their kind: what a failed conversion must leave as it found. */
async function relations(db: Db): Promise<string[]> {
  const { rows } = await sql<{ r: string }>`
    select c.relname || ':' || c.relkind::text as r from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'v', 'p') order by 1`.execute(db)
  return [...rows.map((r) => r.r), ...(await sql<{ r: string }>`select relation::text as r from bitemporal.versioned_table order by 1`.execute(db)).rows.map((r) => `registered ${r.r}`)]
}

/** A fingerprint of every row of a table, in key order. */
async function fingerprint(db: Db, table: string): Promise<string> {
  const row = await one(db, sql<{ f: string }>`select md5(string_agg(t::text, '|' order by t::text)) || ':' || count(*) as f from ${sql.table(table)} as t`)
  return row.f
}

beforeAll(async () => {
  await install(db())
})

const accountVersions = defineTable({
  name: 'account_versions',
  key: { id: 'integer' },
  values: { name: 'text not null', balance: 'numeric(12,2) not null', tags: 'text[]' },
  effective: 'timestamp',
})

// 100k accounts created over seven years at odd microseconds; every tenth
// soft-deleted 100 days later, every tenth-plus-one due to end next month
// (a soft delete in the future: still live today).
const createAccounts = sql`
  create table accounts (
    id integer primary key,
    name text not null,
    balance numeric(12,2) not null,
    tags text[],
    created_at timestamptz not null,
    deleted_at timestamptz
  );
  insert into accounts
  select g, 'account ' || g, (g % 1000) * 1.25, case when g % 7 = 0 then array['vip', null] end,
    timestamptz '2015-01-01 00:00:00+00' + g * interval '37 minutes 13.123457 seconds',
    case g % 10
      when 0 then timestamptz '2015-01-01 00:00:00+00' + g * interval '37 minutes 13.123457 seconds' + interval '100 days 3 hours'
      when 1 then date_trunc('second', now()) + interval '30 days'
    end
  from generate_series(1, 100000) g;
  analyze accounts`

describe('a 100k-row soft-delete table', () => {
  const progress: ConvertProgress[] = []
  let systemTime: string | null = null

  beforeAll(async () => {
    await createAccounts.execute(db())
    await sql`create table accounts_before as select * from accounts`.execute(db())
    const result = await convertToBitemporal(db(), {
      from: 'accounts',
      to: accountVersions,
      effectiveFrom: 'created_at',
      effectiveTo: 'deleted_at',
      view: true,
      batchSize: 10_000,
      onProgress: (p) => progress.push(p),
    })
    expect(result).toMatchObject({ copied: 100_000, skipped: 0, source: '"public"."accounts_plain"', view: '"public"."accounts"' })
    systemTime = result.systemTime
  }, 120_000)

  it('copies in batches, reporting progress after each', () => {
    expect(progress.length).toBeGreaterThan(5)
    expect(progress.at(-1)).toEqual({ copied: 100_000, total: 100_000 })
    for (let i = 1; i < progress.length; i++) expect(progress[i]?.copied).toBeGreaterThan(progress[i - 1]?.copied ?? 0)
  })

  it('leaves the plain table as it was, renamed', async () => {
    expect(await fingerprint(db(), 'accounts_plain')).toBe(await fingerprint(db(), 'accounts_before'))
  })

  it('has one version per row with the row\'s values, valid from created_at to deleted_at, known from the conversion on', async () => {
    const mismatches = await one(db(), sql<{ rows: number; versions: number; system_times: number; wrong: number; first: string }>`
      select
        (select count(*) from accounts_plain)::int as rows,
        (select count(*) from account_versions)::int as versions,
        (select count(distinct system) from account_versions)::int as system_times,
        (select bitemporal.format_system_time(lower(system)) from account_versions limit 1) as first,
        (select count(*) from accounts_plain s full join account_versions v on v.id = s.id
         where s.id is null or v.id is null
           or (s.name, s.balance, s.tags) is distinct from (v.name, v.balance, v.tags)
           or v.effective is distinct from tstzrange(s.created_at, s.deleted_at, '[)')
           or not upper_inf(v.system))::int as wrong`)
    expect(mismatches).toEqual({ rows: 100_000, versions: 100_000, system_times: 1, wrong: 0, first: systemTime })
  })

  it('ends soft-deleted rows at their deletion, to the microsecond', async () => {
    const deleted = await one(db(), sql<{ deleted: number; ended: number }>`
      select count(*)::int as deleted,
        count(*) filter (where upper(v.effective) = s.deleted_at and not upper_inf(v.effective))::int as ended
      from accounts_plain s join account_versions v using (id) where s.deleted_at is not null`)
    expect(deleted).toEqual({ deleted: 20_000, ended: 20_000 })
  })

  it('knows today exactly the live rows of the plain table', async () => {
    const difference = await one(db(), sql<{ live: number; extra: number; missing: number }>`
      with live as (select id, name, balance, tags from accounts_plain where deleted_at is null or deleted_at > now()),
        current as (select id, name, balance, tags from account_versions where upper_inf(system) and effective @> now())
      select (select count(*) from live)::int as live,
        (select count(*) from (select * from current except all select * from live) x)::int as extra,
        (select count(*) from (select * from live except all select * from current) x)::int as missing`)
    expect(difference).toEqual({ live: 90_000, extra: 0, missing: 0 })
    const repo = bitemporal(db(), accountVersions)
    expect((await repo.asOf({ id: 7 }))?.values).toEqual({ name: 'account 7', balance: '8.75', tags: ['vip', null] })
    expect(await repo.asOf({ id: 10 })).toBeUndefined()
    expect((await repo.asOf({ id: 10 }, { validAt: '2015-01-08T00:00:00Z' }))?.values.name).toBe('account 10')
  })

  it('leaves a view with the old name and shape that answers like the old table', async () => {
    const columns = (table: string) =>
      sql<{ c: string }>`select column_name || ' ' || format_type(a.atttypid, a.atttypmod) as c
        from information_schema.columns i join pg_attribute a on a.attrelid = ${table}::regclass and a.attname = i.column_name
        where i.table_schema = 'public' and i.table_name = ${table} order by i.ordinal_position`.execute(db())
    expect((await columns('accounts')).rows).toEqual((await columns('accounts_before')).rows)
    const kind = await one(db(), sql<{ kind: string }>`select relkind::text as kind from pg_class where oid = 'accounts'::regclass`)
    expect(kind.kind).toBe('v')
    const difference = await one(db(), sql<{ extra: number; missing: number }>`
      select (select count(*) from (select * from accounts except all select * from accounts_before) x)::int as extra,
        (select count(*) from (select * from accounts_before except all select * from accounts) x)::int as missing`)
    expect(difference).toEqual({ extra: 0, missing: 0 })
    // Old readers' questions: live accounts, one account.
    const live = await one(db(), sql<{ n: number }>`select count(*)::int as n from accounts where deleted_at is null`)
    expect(live.n).toBe(80_000)
  })

  it('shows writes made through the repository afterwards, and refuses writes of its own', async () => {
    const repo = bitemporal(db(), accountVersions)
    const now = new Date().toISOString()
    await repo.update({ id: 3 }, { from: now }, { balance: '999.00' })
    await repo.delete({ id: 4 }, { from: now })
    const rows = await sql<{ id: number; balance: string; created: boolean; deleted: boolean }>`
      select a.id, a.balance::text as balance, a.created_at = b.created_at as created, a.deleted_at is not null as deleted
      from accounts a join accounts_before b using (id) where id in (3, 4) order by id`.execute(db())
    expect(rows.rows).toEqual([
      { id: 3, balance: '999.00', created: true, deleted: false },
      { id: 4, balance: '5.00', created: true, deleted: true },
    ])
    await expect(sql`update accounts set balance = 0 where id = 5`.execute(db())).rejects.toThrow(/view/)
  })
})

describe('all or nothing', () => {
  const codes = defineTable({ name: 'code_versions', key: { id: 'integer' }, values: { code: 'varchar(5) not null' } })

  it('leaves the plain table untouched when a batch fails midway', async () => {
    // text fits varchar(5) until row 9,000, in the ninth batch of 1,000.
    await sql`create table codes (id integer primary key, code text not null, created_on date not null);
      insert into codes select g, case when g = 9000 then 'far too long' else 'c' || (g % 100) end, date '2020-01-01' + g % 365
      from generate_series(1, 10000) g; analyze codes`.execute(db())
    const before = { relations: await relations(db()), rows: await fingerprint(db(), 'codes') }
    const progress: number[] = []
    const error = await rejectsWithCode(
      () => convertToBitemporal(db(), { from: 'codes', to: codes, effectiveFrom: 'created_on', view: true, batchSize: 1000, onProgress: (p) => progress.push(p.copied) }),
      'INVALID_INPUT',
    )
    expect(error.sqlState).toBe('22001')
    expect(progress.length).toBeGreaterThan(3)
    expect(await relations(db())).toEqual(before.relations)
    expect(await fingerprint(db(), 'codes')).toBe(before.rows)
  })

  it('rolls back with the caller\'s transaction, as in a migration', async () => {
    await sql`create table notes (id integer primary key, code text not null, created_on date not null);
      insert into notes values (1, 'a', '2020-01-01')`.execute(db())
    const notes = defineTable({ name: 'notes', key: { id: 'integer' }, values: { code: 'text not null' } })
    const before = await relations(db())
    await expect(
      db().transaction().execute(async (trx) => {
        const result = await convertToBitemporal(trx, { from: 'notes', to: notes, effectiveFrom: 'created_on' })
        expect(result).toMatchObject({ copied: 1, source: '"public"."notes_plain"', view: undefined })
        throw new Error('a later step of the migration fails')
      }),
    ).rejects.toThrow(/later step/)
    expect(await relations(db())).toEqual(before)
  })
})

describe('edge cases', () => {
  const people = defineTable({ name: 'people_versions', key: { id: 'integer' }, values: { name: 'text' } })

  async function plainPeople(name: string, rows: string): Promise<void> {
    await sql.raw(`create table ${name} (id integer, name text, created_at timestamptz, deleted_at timestamptz, info jsonb);
      insert into ${name} values ${rows}`).execute(db())
  }

  it('refuses null starts naming the keys, or uses effectiveFromDefault', async () => {
    await plainPeople('people_a', `(1, 'ann', '2021-03-04 23:30+00', null, null), (2, 'bob', null, null, null), (3, 'cy', null, null, null)`)
    const before = await relations(db())
    const error = await rejectsWithCode(() => convertToBitemporal(db(), { from: 'people_a', to: people, effectiveFrom: 'created_at' }), 'INVALID_INPUT')
    expect(error.message).toContain('2 rows')
    expect(error.message).toContain('{"id" : 2}')
    expect(await relations(db())).toEqual(before)
    await convertToBitemporal(db(), { from: 'people_a', to: people, effectiveFrom: 'created_at', effectiveFromDefault: '2000-01-01' })
    const { rows } = await sql<{ id: number; effective: string }>`select id, effective::text from people_versions order by id`.execute(db())
    // The UTC day of 23:30 UTC, whatever the session's time zone.
    expect(rows).toEqual([
      { id: 1, effective: '[2021-03-04,)' },
      { id: 2, effective: '[2000-01-01,)' },
      { id: 3, effective: '[2000-01-01,)' },
    ])
    await sql`drop table people_versions; delete from bitemporal.versioned_table where relation::text = 'people_versions'`.execute(db())
  })

  it('refuses keys that appear twice, naming them', async () => {
    await plainPeople('people_b', `(1, 'ann', now(), null, null), (2, 'bob', now(), null, null), (2, 'bob again', now(), null, null), (3, 'c', now(), null, null), (3, 'd', now(), null, null), (3, 'e', now(), null, null)`)
    const before = await relations(db())
    const error = await rejectsWithCode(() => convertToBitemporal(db(), { from: 'people_b', to: people, effectiveFrom: 'created_at' }), 'OVERLAP')
    expect(error.message).toContain('2 keys')
    expect(error.message).toContain('{"id" : 3} (3 rows), {"id" : 2} (2 rows)')
    expect(await relations(db())).toEqual(before)
  })

  it('refuses validity that would be empty, or skips it on request, in any session time zone', async () => {
    // Created and deleted on the same UTC day: never valid for a whole day.
    await plainPeople('people_c', `(1, 'ann', '2021-03-04 01:00+00', '2021-03-04 22:00+00', null), (2, 'bob', '2021-03-04 01:00+00', '2021-03-05 00:30+00', null)`)
    const error = await rejectsWithCode(
      () => convertToBitemporal(db(), { from: 'people_c', to: people, effectiveFrom: 'created_at', effectiveTo: 'deleted_at' }),
      'INVALID_INPUT',
    )
    expect(error.message).toContain('{"id" : 1}')
    const result = await db().transaction().execute(async (trx) => {
      await sql`set local timezone = 'Pacific/Kiritimati'`.execute(trx)
      return convertToBitemporal(trx, { from: 'people_c', to: people, effectiveFrom: 'created_at', effectiveTo: 'deleted_at', emptyValidity: 'skip' })
    })
    expect(result).toMatchObject({ copied: 1, skipped: 1 })
    const { rows } = await sql<{ id: number; effective: string }>`select id, effective::text from people_versions`.execute(db())
    expect(rows).toEqual([{ id: 2, effective: '[2021-03-04,2021-03-05)' }])
    await sql`drop table people_versions; delete from bitemporal.versioned_table where relation::text = 'people_versions'`.execute(db())
  })

  it('checks names, columns and types before changing anything', async () => {
    await plainPeople('people_d', `(1, 'ann', now(), null, '{"a": 1}')`)
    await sql`create view people_d_names as select name from people_d`.execute(db())
    const before = await relations(db())
    const attempts: [Record<string, unknown>, RegExp][] = [
      [{ from: 'no_such_table' }, /does not exist/],
      [{ from: 'people_d; drop table x' }, /not a plain identifier/],
      [{ effectiveFrom: 'made_at' }, /"made_at" is not a column/],
      [{ effectiveFrom: 'name' }, /must be date, timestamp/],
      [{ effectiveFrom: '2023-02-30' }, /exists/],
      [{ effectiveTo: 'info' }, /must be date, timestamp/],
      [{ to: defineTable({ name: 'people_versions', key: { id: 'integer' }, values: { surname: 'text' } }) }, /"surname" is not a column/],
      [{ to: defineTable({ name: 'people_versions', key: { id: 'integer' }, values: { info: 'integer' } }) }, /jsonb cannot be assigned to integer/],
      [{ to: defineTable({ name: 'people_d_names', key: { id: 'integer' }, values: {} }) }, /exists already/],
      [{ view: true }, /view people_d_names/],
      [{ to: defineTable({ name: 'people_d', key: { id: 'integer' }, values: { name: 'text' } }), view: true }, /needs another name/],
      [{ renameSourceTo: 'x' }, /renameSourceTo applies only/],
      [{ batchSize: 0 }, /batchSize/],
      [{ actor: 'me' }, /records no actor/],
      [{ wherever: true }, /unknown option "wherever"/],
    ]
    for (const [override, message] of attempts) {
      const error = await rejectsWithCode(
        () => convertToBitemporal(db(), { from: 'people_d', to: people, effectiveFrom: 'created_at', ...override }),
        'INVALID_INPUT',
      )
      expect(error.message, JSON.stringify(override)).toMatch(message)
    }
    await sql`drop view people_d_names`.execute(db())
    // Without the dependent view, a view needs every column shown.
    await rejectsWithCode(() => convertToBitemporal(db(), { from: 'people_d', to: people, effectiveFrom: 'created_at', view: true }), 'INVALID_INPUT')
    expect(await relations(db())).toEqual(before.filter((r) => !r.startsWith('people_d_names')))
  })

  it('converts in place under the same name, with a fixed start, renamed columns, an entity table and audit', async () => {
    await sql`create table stock (sku text, warehouse integer, qty integer not null, note text);
      insert into stock select 'sku-' || g, g % 3, g, null from generate_series(1, 500) g`.execute(db())
    const stock = defineTable({
      name: 'stock',
      key: { sku: 'text', site: 'integer' },
      values: { qty: 'bigint not null', note: 'text' },
      entity: true,
      audit: true,
    })
    const result = await convertToBitemporal(db(), {
      from: 'stock', to: stock, effectiveFrom: '2024-01-01', columns: { site: 'warehouse' }, actor: 'migration', reason: 'issue 7', batchSize: 100,
    })
    expect(result).toMatchObject({ copied: 500, source: '"public"."stock_plain"', view: undefined })
    const check = await one(db(), sql<{ versions: number; entities: number; wrong: number }>`
      select (select count(*) from stock)::int as versions, (select count(*) from stock_entity)::int as entities,
        (select count(*) from stock_plain s full join stock v on v.sku = s.sku and v.site = s.warehouse
         where v.sku is null or s.sku is null or v.qty <> s.qty or v.effective <> daterange('2024-01-01', null)
           or v.recorded_by <> 'migration' or v.recorded_reason <> 'issue 7')::int as wrong`)
    expect(check).toEqual({ versions: 500, entities: 500, wrong: 0 })
    const repo = bitemporal(db(), stock)
    await repo.set({ sku: 'sku-1', site: 1 }, { from: '2025-01-01' }, { qty: '2', note: 'recount' }, { actor: 'test' })
    expect((await repo.timeline({ sku: 'sku-1', site: 1 })).map((v) => v.values.qty)).toEqual(['1', '2'])
  })
})
