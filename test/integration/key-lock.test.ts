import { type ControlledTransaction, type Kysely, sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { ConcurrentWriteError } from '../../src/errors/errors.js'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'
import { blockedOrSettled, track } from '../support/lock-wait.js'
import { ownConnections } from '../support/own-connections.js'
import { rejection } from '../support/rejection.js'

// One key, one advisory lock, however the key is spelled and whatever the
// session's settings (decision 80). If equal keys got different locks, the
// race the lock exists for would get through: a transaction that began
// earlier fills a gap at its earlier system time after a later one deleted
// around it, and history as known at the later write would show a value
// that write had removed (docs/semantics.md invariant 5).

const database = useTestDatabase()
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tables the test creates
type Db = Kysely<any>
const own = ownConnections(() => database().url)

const byAmount = defineTable({ name: 'key_lock_numeric', key: { amount: 'numeric' }, values: { note: 'text' } })
const byInstant = defineTable({ name: 'key_lock_instant', key: { at: 'timestamptz' }, values: { note: 'text' } })
const byBits = defineTable({ name: 'key_lock_bits', key: { flags: 'bit(4)', price: 'money' }, values: { note: 'text' } })
const bare = defineTable({ name: 'key_lock_named', key: { id: 'integer' }, values: { note: 'text' } })
const qualified = defineTable({ name: 'public.key_lock_named', key: { id: 'integer' }, values: { note: 'text' } })

beforeAll(async () => {
  await install(database().db)
  for (const table of [byAmount, byInstant, byBits, bare]) await createTable(database().db, table)
})

/** A transaction on `on` whose system time is taken now, before the other writer's. */
async function begin(on: Db): Promise<ControlledTransaction<unknown>> {
  const trx = await own.begin(on)
  await sql`select bitemporal.system_time()`.execute(trx)
  return trx
}

const cases = [
  { name: 'numeric 1 and 1.00', table: byAmount, later: { amount: '1' }, earlier: { amount: '1.00' } },
  { name: 'one instant, read in UTC and in Tokyo', table: byInstant, later: { at: '2024-05-01T00:00:00Z' }, earlier: { at: '2024-05-01T00:00:00Z' }, settings: '-c TimeZone=Asia/Tokyo' },
  { name: 'bit(4) and money, which have no hash function', table: byBits, later: { flags: '0101', price: '1.50' }, earlier: { flags: '0101', price: '1.5' } },
  { name: 'one table, named bare and schema-qualified', table: bare, earlierTable: qualified, later: { id: 1 }, earlier: { id: 1 } },
] as const

describe.each<(typeof cases)[number] & { readonly settings?: string; readonly earlierTable?: typeof qualified }>(cases)('$name', ({ table, earlierTable = table, later, earlier, settings }) => {
  it('a write by an earlier transaction waits for the later writer of the same key, and is refused rather than recorded before it', async () => {
    const repo = (on: Db = database().db) => bitemporal(on, table)
    await repo().set(later, { from: '2024-01-01', to: '2024-02-01' }, { note: 'x' })
    await repo().set(later, { from: '2024-03-01', to: '2024-04-01' }, { note: 'y' })

    const b = await own.connect(settings === undefined ? {} : { options: settings })
    const earlierTrx = await begin(b.db)
    const a = await own.connect()
    const laterTrx = await begin(a.db)
    const deleted = await repo(laterTrx).delete(later, { from: '2024-01-01', to: '2024-04-01' })

    // The gap [Feb, Mar) touches no row the delete closed: only the key lock makes it wait.
    const pending = track(bitemporal(earlierTrx, earlierTable).set(earlier, { from: '2024-02-01', to: '2024-03-01' }, { note: 'z' }))
    const outcome = await blockedOrSettled(database().db, b.pid, pending)
    expect(outcome).toEqual({ state: 'blocked', blockers: [a.pid] })
    await laterTrx.commit().execute()

    expect(await rejection(pending.promise)).toBeInstanceOf(ConcurrentWriteError)
    await earlierTrx.rollback().execute()
    expect(await repo().asOf(later, { validAt: '2024-02-15', knownAt: deleted.systemTime ?? '' })).toBeUndefined()
    expect(await repo().timeline(later)).toEqual([])
  })
})
