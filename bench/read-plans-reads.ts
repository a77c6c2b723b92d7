import { sql } from 'kysely'
import type { AnyKysely } from '../src/any-kysely.js'
import { asOf, asOfPlugin, streamQuery } from '../src/query/index.js'
import { combineTimelines } from '../src/read/index.js'
import { bitemporal } from '../src/repository/index.js'
import { assertedAt, BASE, customers, products, subscriptions } from './read-plans-fixture.js'

/**
 * How the library sends a read, which decides the plans PostgreSQL can use:
 * `prepared`, a named statement, planned for its parameters five times and
 * then, if the generic plan does not look costlier, generically;
 * `unnamed`, planned for its parameters on every call; `cursor`, declared
 * as a cursor (a fast-start plan, see `cursor_tuple_fraction`).
 */
export type SentAs = 'prepared' | 'unnamed' | 'cursor'

/** One read of the library, run for real so that the statement it sends can be recorded. */
export interface Read {
  readonly name: string
  /** Where the statement text comes from in the library. */
  readonly statement: string
  readonly sentAs: SentAs
  /** Runs the read on `db`, a Kysely instance whose statements are recorded. */
  readonly run: (db: AnyKysely) => Promise<unknown>
}

/** The key every one-key read asks about, and the other table's key for combineTimelines. */
const KEY = { id: 4242 }
/**
 * A past instant: 6.5M s into the load (row 650,000). Versions 0–6 of every
 * key were asserted by then and version 6 already retracted; version 5
 * (2020-05-30 to 2020-06-29) is known, and still current today.
 */
const PAST = assertedAt(650_000)
const VALID = '2020-06-15'
/**
 * One hour of system time within version 4's load: 360 assertions (key
 * 4242's among them) and 360 retractions of the version-4 rows asserted an
 * hour earlier.
 */
const HOUR = { since: assertedAt(404_000), until: assertedAt(404_360) }
const WINDOW = { from: '2020-03-01', to: '2020-08-01' }

/** Takes the first row of a stream and stops it: enough for the stream to have sent its DECLARE, and it cleans up. */
async function first(rows: AsyncGenerator<unknown, void, undefined>): Promise<void> {
  await rows.next()
  await rows.return(undefined)
}

/** The three-table join: one subscription with its customer and product. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the bench has no database type
function join(db: AnyKysely): import('kysely').SelectQueryBuilder<any, any, any> {
  return db
    .selectFrom('subscriptions as s')
    .innerJoin('customers as c', 'c.id', 's.customer_id')
    .innerJoin('products as p', 'p.id', 's.product_id')
    .where('s.id', '=', KEY.id)
    .select(['s.seats', 'c.name', 'p.price'])
}

export function reads(): readonly Read[] {
  const repo = (db: AnyKysely) => bitemporal(db, subscriptions)
  const at = { validAt: VALID, knownAt: PAST }
  const count = (db: AnyKysely, instant: Parameters<ReturnType<typeof repo>['query']>[0]) =>
    repo(db).query(instant).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()
  return [
    { name: 'asOf, current knowledge', statement: 'readStatements().asOfCurrent', sentAs: 'prepared', run: (db) => repo(db).asOf(KEY, { validAt: VALID }) },
    { name: 'asOf, knownAt', statement: 'readStatements().asOfKnown', sentAs: 'prepared', run: (db) => repo(db).asOf(KEY, at) },
    { name: 'timeline, current knowledge', statement: 'readStatements().timelineCurrent', sentAs: 'prepared', run: (db) => repo(db).timeline(KEY) },
    { name: 'timeline, knownAt', statement: 'readStatements().timelineKnown', sentAs: 'prepared', run: (db) => repo(db).timeline(KEY, { knownAt: PAST }) },
    { name: 'timeline, window, current knowledge', statement: 'timelineStatements().windowCurrent', sentAs: 'prepared', run: (db) => repo(db).timeline(KEY, WINDOW) },
    { name: 'timeline, window, knownAt', statement: 'timelineStatements().windowKnown', sentAs: 'prepared', run: (db) => repo(db).timeline(KEY, { ...WINDOW, knownAt: PAST }) },
    { name: 'timeline, coalesced, current knowledge', statement: 'timelineStatements().coalescedCurrent', sentAs: 'prepared', run: (db) => repo(db).timeline(KEY, { coalesce: true }) },
    {
      name: 'timeline, coalesced, window, knownAt',
      statement: 'timelineStatements().coalescedKnown',
      sentAs: 'prepared',
      run: (db) => repo(db).timeline(KEY, { ...WINDOW, knownAt: PAST, coalesce: true }),
    },
    { name: 'history', statement: 'readStatements().history', sentAs: 'prepared', run: (db) => repo(db).history(KEY) },
    { name: 'lastChange', statement: 'readStatements().lastChange', sentAs: 'prepared', run: (db) => repo(db).lastChange(KEY) },
    { name: 'changes, one key, all of history', statement: 'changesStatements().key', sentAs: 'prepared', run: (db) => repo(db).changes({ key: KEY, since: BASE }) },
    { name: 'changes, one key, one hour', statement: 'changesStatements().key', sentAs: 'prepared', run: (db) => repo(db).changes({ key: KEY, ...HOUR }) },
    { name: 'changes, all keys, one hour', statement: 'changesStatements().all', sentAs: 'prepared', run: (db) => repo(db).changes(HOUR) },
    {
      name: 'changes, all keys, since (no until)',
      statement: 'changesStatements().all',
      sentAs: 'prepared',
      run: (db) => repo(db).changes({ since: assertedAt(999_640) }),
    },
    {
      name: 'combineTimelines, current knowledge',
      statement: 'combineTimelinesSql(left, right, false)',
      sentAs: 'unnamed',
      run: (db) => combineTimelines(db, { left: { table: subscriptions, key: KEY }, right: { table: products, key: KEY }, ...WINDOW }),
    },
    {
      name: 'combineTimelines, knownAt',
      statement: 'combineTimelinesSql(left, right, true)',
      sentAs: 'unnamed',
      run: (db) => combineTimelines(db, { left: { table: subscriptions, key: KEY }, right: { table: products, key: KEY }, knownAt: PAST }),
    },
    {
      name: 'query, key filter, validAt + knownAt',
      statement: 'repo.query({ validAt, knownAt }).where(id = …).selectAll() (Kysely)',
      sentAs: 'unnamed',
      run: (db) => repo(db).query(at).where('id', '=', KEY.id).selectAll().execute(),
    },
    {
      name: 'query, key filter, current knowledge',
      statement: 'repo.query({ validAt }).where(id = …).selectAll() (Kysely)',
      sentAs: 'unnamed',
      run: (db) => repo(db).query({ validAt: VALID }).where('id', '=', KEY.id).selectAll().execute(),
    },
    { name: 'query, count, validAt + knownAt', statement: 'repo.query({ validAt, knownAt }).select(count(*)) (Kysely)', sentAs: 'unnamed', run: (db) => count(db, at) },
    { name: 'query, count, validAt, current knowledge', statement: 'repo.query({ validAt }).select(count(*)) (Kysely)', sentAs: 'unnamed', run: (db) => count(db, { validAt: VALID }) },
    { name: 'query, count, today, current knowledge', statement: 'repo.query().select(count(*)) (Kysely)', sentAs: 'unnamed', run: (db) => count(db, undefined) },
    {
      name: 'three-table join, asOf() on each table',
      statement: 'selectFrom(s).innerJoin(c).innerJoin(p).where(asOf(…)) ×3 (Kysely)',
      sentAs: 'unnamed',
      run: (db) => join(db).where(asOf(subscriptions, 's', at)).where(asOf(customers, 'c', at)).where(asOf(products, 'p', at)).execute(),
    },
    {
      name: 'three-table join, asOfPlugin',
      statement: 'db.withPlugin(asOfPlugin({ tables, validAt, knownAt })) (Kysely)',
      sentAs: 'unnamed',
      run: (db) => join(db.withPlugin(asOfPlugin({ tables: [subscriptions, customers, products], ...at }))).execute(),
    },
    { name: 'streamHistory', statement: 'readStatements().history in a cursor', sentAs: 'cursor', run: (db) => first(repo(db).streamHistory(KEY)) },
    { name: 'streamChanges, all keys, one hour', statement: 'changesStatements().all in a cursor', sentAs: 'cursor', run: (db) => first(repo(db).streamChanges(HOUR)) },
    {
      name: 'streamQuery, every version at one instant',
      statement: 'streamQuery(db, repo.query({ validAt, knownAt }).selectAll())',
      sentAs: 'cursor',
      run: (db) => first(streamQuery(db, repo(db).query(at).selectAll())),
    },
  ]
}

/** What the data looks like at the instants the reads use, for the report. */
export async function dataFacts(db: AnyKysely): Promise<Record<string, number>> {
  const { rows } = await sql<Record<string, string>>`
    select (select count(*) from subscriptions) as "subscriptions versions",
           (select count(*) from subscriptions where upper_inf(system)) as "subscriptions current versions",
           (select count(*) from customers) as "customers versions",
           (select count(*) from products) as "products versions",
           (select count(*) from subscriptions where system @> (${PAST}::timestamptz at time zone 'UTC') and effective @> ${VALID}::date) as "subscriptions valid on the day, known at the past instant",
           pg_relation_size('subscriptions') / 8192 as "subscriptions heap pages",
           pg_relation_size('subscriptions_no_overlap') / 8192 as "subscriptions_no_overlap (GiST) pages",
           pg_relation_size('subscriptions_current') / 8192 as "subscriptions_current pages"`.execute(db)
  return Object.fromEntries(Object.entries(rows[0] ?? {}).map(([name, value]) => [name, Number(value)]))
}

export const INSTANTS = { key: KEY.id, knownAt: PAST, validAt: VALID, hour: HOUR, window: WINDOW }
