import { type Kysely, sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  BitemporalError,
  ConversionPendingError,
  convertToBitemporal,
  type ConvertOptions,
  type ConvertProgress,
  type ConvertResult,
  defineTable,
  mapDatabaseError,
} from '../../src/index.js'
import { install } from '../../src/install/install.js'
import { useTestDatabase } from '../support/database.js'
import { one } from '../support/one-row.js'
import { type CountingPool, countingPool } from '../support/counting-pool.js'
import { backendPid, track, waitUntilBlocked } from '../support/lock-wait.js'
import { ownConnections } from '../support/own-connections.js'
import { rejection } from '../support/rejection.js'
import { rejectsWithCode } from '../support/rejects-with-code.js'

// Issue 7, item 4, "resumable": convertToBitemporal(db, { resumable: true })
// commits each batch on its own and records its progress in
// bitemporal.conversion, so that a run again after an interruption (an
// error, a killed backend) goes on where it stopped and copies every row
// exactly once. The plain table refuses writes in between.

const database = useTestDatabase()
const connections = ownConnections(() => database().url)

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw SQL on tables the tests create
type Db = Kysely<any>

const db = (): Db => database().db

/** A fingerprint of every row of a table. */
async function fingerprint(table: string): Promise<string> {
  const row = await one(db(), sql<{ f: string }>`select md5(string_agg(t::text, '|' order by t::text)) || ':' || count(*) as f from ${sql.table(table)} as t`)
  return row.f
}

/** Relations of the public schema with their kind, and the registered tables. */
async function relations(): Promise<string[]> {
  const { rows } = await sql<{ r: string }>`
    select c.relname || ':' || c.relkind::text as r from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'v', 'p') order by 1`.execute(db())
  return [...rows.map((r) => r.r), ...(await sql<{ r: string }>`select relation::text as r from bitemporal.versioned_table order by 1`.execute(db())).rows.map((r) => `registered ${r.r}`)]
}

interface ConversionRow {
  id: number
  total: number
  copied: number
  batches: number
  finished: boolean
  first: string | null
  last: string | null
}

/** The record of the conversion into `target`. */
async function conversion(target: string): Promise<ConversionRow> {
  return one(db(), sql<ConversionRow>`
    select id::int, total::int, copied::int, batches, finished_at is not null as finished,
      bitemporal.format_system_time(first_system_time) as first, bitemporal.format_system_time(last_system_time) as last
    from bitemporal.conversion where target = to_regclass(${target})`)
}

/** Versions of `target`, distinct keys among them, and distinct system times. */
async function copies(target: string): Promise<{ versions: number; keys: number; systemTimes: number }> {
  return one(db(), sql<{ versions: number; keys: number; systemTimes: number }>`
    select count(*)::int as versions, count(distinct id)::int as keys, count(distinct lower(system))::int as "systemTimes" from ${sql.table(target)}`)
}

/** `run` fails with a BitemporalError thrown by `onProgress` (as the cause), which is returned. */
async function stopped(run: Promise<unknown>, message: string): Promise<BitemporalError> {
  const error = await rejection(run)
  expect(error).toBeInstanceOf(BitemporalError)
  expect((error as BitemporalError).message).toContain(message)
  return error as BitemporalError
}

/** A connection of its own that may be terminated: its client's error (the socket closing) is expected, not a crash. */
async function killable(): Promise<CountingPool & { readonly pid: number }> {
  const pool = connections.adopt(countingPool({ connectionString: database().url, max: 1 }))
  pool.pool.on('connect', (client) => client.on('error', () => {}))
  return { ...pool, pid: await backendPid(pool.db) }
}

/** The error a raw SQL statement gets, mapped. */
async function refused(statement: ReturnType<typeof sql>): Promise<BitemporalError> {
  return mapDatabaseError(await rejection(statement.execute(db())))
}

beforeAll(async () => {
  await install(db())
})

const memberVersions = defineTable({
  name: 'member_versions',
  key: { id: 'integer' },
  values: { name: 'text not null', fee: 'numeric(8,2) not null' },
  effective: 'timestamp',
})

describe('interrupted after two batches, then run again', () => {
  const options = (onProgress: (p: ConvertProgress) => void): ConvertOptions => ({
    from: 'members', to: memberVersions, effectiveFrom: 'joined_at', effectiveTo: 'left_at', view: true, batchSize: 2000, resumable: true, onProgress,
  })
  const first: ConvertProgress[] = []
  const second: ConvertProgress[] = []
  let recorded: ConversionRow
  let result: ConvertResult

  beforeAll(async () => {
    // 20,000 members over five years; every eighth left 40 days later.
    await sql`
      create table members (id integer primary key, name text not null, fee numeric(8,2) not null, joined_at timestamptz not null, left_at timestamptz);
      insert into members select g, 'member ' || g, (g % 300) * 0.75,
        timestamptz '2019-01-01 00:00+00' + g * interval '2 hours 11 minutes 0.000123 seconds',
        case when g % 8 = 0 then timestamptz '2019-01-01 00:00+00' + g * interval '2 hours 11 minutes 0.000123 seconds' + interval '40 days' end
      from generate_series(1, 20000) g;
      analyze members;
      create table members_before as select * from members`.execute(db())
  })

  it('keeps the committed batches and records the progress when a run stops', async () => {
    await stopped(
      convertToBitemporal(db(), options((p) => {
        first.push(p)
        if (first.length === 2) throw new Error('stopped after two batches')
      })),
      'stopped after two batches',
    )
    expect(first).toHaveLength(2)
    recorded = await conversion('member_versions')
    expect(recorded).toMatchObject({ total: 20_000, copied: first[1]?.copied, batches: 2, finished: false })
    expect(recorded.copied).toBeGreaterThan(0)
    expect(recorded.copied).toBeLessThan(20_000)
    // Each batch committed on its own, at its own system time.
    expect(await copies('member_versions')).toEqual({ versions: recorded.copied, keys: recorded.copied, systemTimes: 2 })
    expect(recorded.first).not.toBe(recorded.last)
    // Renamed, not yet replaced by the view.
    expect(await relations()).toEqual(['member_versions:r', 'members_before:r', 'members_plain:r', 'registered member_versions'])
  })

  it('refuses every write to the plain table meanwhile, naming the conversion, and changes nothing', async () => {
    const before = await fingerprint('members_plain')
    const attempts = [
      sql`insert into members_plain values (99999, 'late', 1, now(), null)`,
      sql`update members_plain set fee = 0 where id = 1`,
      sql`delete from members_plain where id = 2`,
      sql`truncate members_plain`,
    ]
    for (const attempt of attempts) {
      const error = await refused(attempt)
      expect(error).toBeInstanceOf(ConversionPendingError)
      expect(error).toMatchObject({ code: 'CONVERSION_PENDING', sqlState: 'BT003', retryable: false })
      expect(error.message).toContain(`conversion ${String(recorded.id)}`)
      expect(error.message).toContain('"member_versions"')
      expect(error.message).toMatch(/Run convertToBitemporal again with the same options/)
    }
    expect(await fingerprint('members_plain')).toBe(before)
  })

  it('goes on from the recorded page and count, copying every remaining row exactly once', async () => {
    result = await convertToBitemporal(db(), options((p) => second.push(p)))
    expect(second[0]?.copied).toBeGreaterThan(recorded.copied)
    for (let i = 1; i < second.length; i++) expect(second[i]?.copied).toBeGreaterThan(second[i - 1]?.copied ?? 0)
    expect(second.at(-1)).toEqual({ copied: 20_000, total: 20_000 })
    const done = await conversion('member_versions')
    expect(done).toMatchObject({ copied: 20_000, batches: 2 + second.length, finished: true, first: recorded.first })
    expect(result).toEqual({
      systemTime: recorded.first,
      lastSystemTime: done.last,
      batches: 2 + second.length,
      copied: 20_000,
      skipped: 0,
      source: '"public"."members_plain"',
      view: '"public"."members"',
    })
    expect(await copies('member_versions')).toEqual({ versions: 20_000, keys: 20_000, systemTimes: 2 + second.length })
  })

  it('ends with one version per plain row, row by row, and a view equal to the old table', async () => {
    const wrong = await one(db(), sql<{ wrong: number }>`
      select count(*)::int as wrong from members_plain s full join member_versions v on v.id = s.id
      where s.id is null or v.id is null or (s.name, s.fee) is distinct from (v.name, v.fee)
        or v.effective is distinct from tstzrange(s.joined_at, s.left_at, '[)') or not upper_inf(v.system)`)
    expect(wrong.wrong).toBe(0)
    expect(await fingerprint('members_plain')).toBe(await fingerprint('members_before'))
    const difference = await one(db(), sql<{ extra: number; missing: number }>`
      select (select count(*) from (select * from members except all select * from members_before) x)::int as extra,
        (select count(*) from (select * from members_before except all select * from members) x)::int as missing`)
    expect(difference).toEqual({ extra: 0, missing: 0 })
    // As known before the last batch, the table was partly converted: the record's times say when it became whole.
    const known = await one(db(), sql<{ before_last: number; at_last: number }>`
      select count(*) filter (where lower(system) < ${result.lastSystemTime}::timestamp)::int as before_last,
        count(*) filter (where lower(system) <= ${result.lastSystemTime}::timestamp)::int as at_last from member_versions`)
    expect(known.before_last).toBeLessThan(20_000)
    expect(known.at_last).toBe(20_000)
  })

  it('lets writers at the plain table again once finished', async () => {
    const triggers = await one(db(), sql<{ n: number }>`select count(*)::int as n from pg_trigger where tgrelid = 'members_plain'::regclass`)
    expect(triggers.n).toBe(0)
    await sql`update members_plain set fee = fee where id = 1`.execute(db())
  })

  it('returns the finished result and changes nothing when run again', async () => {
    const before = { relations: await relations(), versions: await fingerprint('member_versions'), conversion: await conversion('member_versions') }
    const again: ConvertProgress[] = []
    expect(await convertToBitemporal(db(), options((p) => again.push(p)))).toEqual(result)
    expect(again).toEqual([])
    expect(await relations()).toEqual(before.relations)
    expect(await fingerprint('member_versions')).toBe(before.versions)
    expect(await conversion('member_versions')).toEqual(before.conversion)
  })
})

const orderVersions = defineTable({ name: 'orders', key: { id: 'integer' }, values: { item: 'text not null', qty: 'integer not null' } })

describe('a backend killed in the middle of a batch', () => {
  const options = (onProgress?: (p: ConvertProgress) => void): ConvertOptions => ({
    from: 'orders', to: orderVersions, effectiveFrom: 'placed_on', batchSize: 1000, resumable: true, ...(onProgress === undefined ? {} : { onProgress }),
  })

  it('loses only that batch, and a run again ends with every row exactly once', async () => {
    await sql`
      create table orders (id integer primary key, item text not null, qty integer not null, placed_on date not null);
      insert into orders select g, 'item ' || (g % 97), g % 13, date '2021-01-01' + g % 700 from generate_series(1, 10000) g;
      analyze orders;
      create table orders_before as select * from orders`.execute(db())
    // The new table takes the plain table's name: the plain table becomes orders_plain.
    const converter = await killable()
    await stopped(
      convertToBitemporal(converter.db, options(() => {
        throw new Error('stopped after one batch')
      })),
      'stopped after one batch',
    )
    const afterOne = await conversion('orders')
    expect(afterOne).toMatchObject({ batches: 1, finished: false })

    // Another transaction holds an uncommitted version of the plain table's last row: the batch that copies it
    // waits on the exclusion constraint, with the rows before it in that batch already inserted.
    const holder = await connections.connect()
    const held = await connections.begin(holder.db)
    await sql`insert into orders (id, item, qty, effective) select id, item, qty, daterange('1900-01-01', null) from orders_plain order by ctid desc limit 1`.execute(held)
    const resumed = track(convertToBitemporal(converter.db, options()))
    expect(await waitUntilBlocked(db(), converter.pid, resumed)).toContain(holder.pid)
    const waiting = await conversion('orders')
    await sql`select pg_terminate_backend(${converter.pid})`.execute(db())
    const error = await rejection(resumed.promise)
    expect(error).toBeInstanceOf(BitemporalError)
    await held.rollback().execute()

    // The killed batch left nothing; the committed ones are all there.
    const killed = await conversion('orders')
    expect(killed).toEqual(waiting)
    expect(killed.copied).toBeGreaterThan(afterOne.copied)
    expect(killed.copied).toBeLessThan(10_000)
    expect(await copies('orders')).toMatchObject({ versions: killed.copied, keys: killed.copied })

    const progress: ConvertProgress[] = []
    const result = await convertToBitemporal(db(), options((p) => progress.push(p)))
    expect(progress[0]?.copied).toBeGreaterThan(killed.copied)
    expect(result).toMatchObject({ copied: 10_000, skipped: 0, source: '"public"."orders_plain"', view: undefined, systemTime: afterOne.first })
    expect(await copies('orders')).toMatchObject({ versions: 10_000, keys: 10_000 })
    const wrong = await one(db(), sql<{ wrong: number }>`
      select count(*)::int as wrong from orders_before s full join orders v using (id)
      where s.id is null or v.id is null or (s.item, s.qty) is distinct from (v.item, v.qty) or v.effective <> daterange(s.placed_on, null)`)
    expect(wrong.wrong).toBe(0)
  })
})

describe('what a resumable conversion refuses', () => {
  const tickets = defineTable({ name: 'ticket_versions', key: { id: 'integer' }, values: { title: 'text not null' } })
  const options: ConvertOptions = { from: 'tickets', to: tickets, effectiveFrom: 'opened_on', effectiveTo: 'closed_on', batchSize: 500, resumable: true }
  let state: () => Promise<unknown[]>

  beforeAll(async () => {
    await sql`
      create table tickets (id integer primary key, title text not null, opened_on date not null, closed_on date, closed_at date);
      insert into tickets select g, 'ticket ' || g, date '2022-01-01' + g % 300, case when g % 5 = 0 then date '2023-06-01' end, null
      from generate_series(1, 5000) g;
      analyze tickets`.execute(db())
    state = async () => [await relations(), await fingerprint('tickets'), await one(db(), sql`select count(*)::int as n, max(id)::int as last from bitemporal.conversion`)]
  })

  it('refuses bad values of resumable and a partitioned table before changing anything', async () => {
    const before = await state()
    for (const resumable of ['yes', 1, {}]) {
      const error = await rejectsWithCode(() => convertToBitemporal(db(), { ...options, resumable } as unknown as ConvertOptions), 'INVALID_INPUT')
      expect(error.message).toMatch(/resumable must be true or false/)
    }
    await sql`create table parts (id integer, title text not null, opened_on date not null) partition by range (opened_on);
      create table parts_2022 partition of parts for values from ('2022-01-01') to ('2023-01-01');
      insert into parts values (1, 'a', '2022-05-01')`.execute(db())
    const error = await rejectsWithCode(() => convertToBitemporal(db(), { from: 'parts', to: tickets, effectiveFrom: 'opened_on', resumable: true }), 'INVALID_INPUT')
    expect(error.message).toMatch(/partitioned/)
    await sql`drop table parts`.execute(db())
    expect(await state()).toEqual(before)
  })

  it('refuses to run inside a transaction, sending nothing there', async () => {
    const before = await state()
    const error = await rejectsWithCode(
      () => db().transaction().execute((trx) => convertToBitemporal(trx, options)),
      'INVALID_INPUT',
    )
    expect(error.message).toMatch(/must be a Kysely instance, not a transaction/)
    expect(await state()).toEqual(before)
  })

  it('refuses to go on with other options than it began with, naming them, and changes nothing', async () => {
    await stopped(convertToBitemporal(db(), { ...options, onProgress: () => { throw new Error('stop') } }), 'stop')
    const before = [await state(), await fingerprint('ticket_versions'), await conversion('ticket_versions')]
    const other = defineTable({ name: 'ticket_versions', key: { id: 'integer' }, values: { title: 'text' } })
    const attempts: [Partial<ConvertOptions>, RegExp][] = [
      [{ batchSize: 400 }, /batchSize \(500 when it began, 400 now\)/],
      [{ effectiveTo: 'closed_at', emptyValidity: 'skip' }, /effectiveTo \("closed_on" when it began, "closed_at" now\); emptyValidity \("error" when it began, "skip" now\)/],
      [{ to: other }, /to \(another table definition\)/],
      [{ view: true }, /view \(false when it began, true now\)/],
    ]
    for (const [override, message] of attempts) {
      const error = await rejectsWithCode(() => convertToBitemporal(db(), { ...options, ...override }), 'INVALID_INPUT')
      expect(error.message, JSON.stringify(Object.keys(override))).toMatch(message)
      expect(error.message).toMatch(/began with other options/)
    }
    expect([await state(), await fingerprint('ticket_versions'), await conversion('ticket_versions')]).toEqual(before)
    // The same options with their defaults written out are the same conversion.
    const result = await convertToBitemporal(db(), { ...options, view: false, emptyValidity: 'error', columns: {}, batchSize: 500 })
    expect(result).toMatchObject({ copied: 5000, skipped: 0 })
    expect(await copies('ticket_versions')).toMatchObject({ versions: 5000, keys: 5000 })
    // Finished, other options are still refused, and the same ones change nothing.
    await rejectsWithCode(() => convertToBitemporal(db(), { ...options, batchSize: 100 }), 'INVALID_INPUT')
    const finished = [await relations(), await fingerprint('ticket_versions'), await conversion('ticket_versions')]
    expect(await convertToBitemporal(db(), options)).toEqual(result)
    expect([await relations(), await fingerprint('ticket_versions'), await conversion('ticket_versions')]).toEqual(finished)
  })
})

describe('two processes converting at once', () => {
  const shipments = defineTable({ name: 'shipment_versions', key: { id: 'integer' }, values: { weight: 'numeric not null' }, effective: 'timestamp' })

  it('copy every row exactly once between them and both end with the same result', async () => {
    await sql`
      create table shipments (id integer primary key, weight numeric not null, sent_at timestamptz not null);
      insert into shipments select g, g * 0.5, timestamptz '2020-01-01 00:00+00' + g * interval '1 hour' from generate_series(1, 12000) g;
      analyze shipments`.execute(db())
    // Sessions whose default is serializable: the conversion must still see, after waiting, what the other committed.
    const serializable = () => connections.adopt(countingPool({ connectionString: database().url, max: 1, options: '-c default_transaction_isolation=serializable' }))
    const [a, b] = [serializable(), serializable()]
    const progress: { a: ConvertProgress[]; b: ConvertProgress[] } = { a: [], b: [] }
    const options = (seen: ConvertProgress[]): ConvertOptions => ({
      from: 'shipments', to: shipments, effectiveFrom: 'sent_at', batchSize: 500, resumable: true, onProgress: (p) => seen.push(p),
    })
    // Both start from nothing: one begins the conversion, the other finds it, then they take turns batch by batch.
    const [first, second] = await Promise.all([convertToBitemporal(a.db, options(progress.a)), convertToBitemporal(b.db, options(progress.b))])
    expect(first).toEqual(second)
    expect(first).toMatchObject({ copied: 12_000, source: '"public"."shipments"' })
    // Each batch was reported once, by the process that copied it.
    const reported = [...progress.a, ...progress.b].map((p) => p.copied).sort((x, y) => x - y)
    expect(new Set(reported).size).toBe(reported.length)
    expect(reported).toHaveLength(first.batches)
    expect(reported.at(-1)).toBe(12_000)
    expect(await copies('shipment_versions')).toMatchObject({ versions: 12_000, keys: 12_000, systemTimes: first.batches })
    const wrong = await one(db(), sql<{ wrong: number }>`
      select count(*)::int as wrong from shipments s full join shipment_versions v using (id)
      where s.id is null or v.id is null or s.weight <> v.weight or v.effective <> tstzrange(s.sent_at, null)`)
    expect(wrong.wrong).toBe(0)
    expect(await conversion('shipment_versions')).toMatchObject({ copied: 12_000, finished: true })
  })
})
