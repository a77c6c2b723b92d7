import { type Kysely, sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { ConcurrentWriteError, DatabaseError } from '../../src/errors/errors.js'
import { TableMismatchError } from '../../src/errors/table-mismatch-error.js'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { runStatement } from '../../src/statement/run-statement.js'
import { NamedStatement } from '../../src/statement/named-statement.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable, type TableDefinition } from '../../src/schema/define-table.js'
import { transaction } from '../../src/transaction/transaction.js'
import { countingPool } from '../support/counting-pool.js'
import { useTestDatabase } from '../support/database.js'
import { onEveryConnection } from '../support/every-connection.js'
import { ownConnections } from '../support/own-connections.js'
import { rejection } from '../support/rejection.js'

// What pooled connections that hold prepared statements do after a schema
// change (docs/drivers.md, "Schema changes"): a statement whose result
// types changed is prepared again, on every connection, without the caller
// seeing it; a statement that names a column the table no longer has is a
// TableMismatchError, never an untyped DatabaseError.

const database = useTestDatabase()
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tables made by the tests
type Db = Kysely<any>
const { adopt } = ownConnections(() => database().url)

const CONNECTIONS = 3

/** A Kysely instance over a pool of its own, of `max` connections, ended after the test. */
function pooled(max: number): Db {
  return adopt(countingPool({ connectionString: database().url, max })).db
}

/** The names of the statements this connection has prepared. */
async function preparedNames(connection: Db): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from pg_prepared_statements order by name`.execute(connection)
  return rows.map((row) => row.name)
}

beforeAll(async () => {
  await install(database().db)
})

/** Every item of a stream (Array.fromAsync is not in Node 20). */
async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = []
  for await (const item of stream) items.push(item)
  return items
}

describe('a named statement whose result type a schema change altered', () => {
  // A statement of its own: the repository's return every column as text,
  // so widening a value column changes none of their result types.
  const counters = sql.table('counters')

  beforeAll(async () => {
    await sql`create table ${counters} (id integer primary key, hits integer not null)`.execute(database().db)
  })

  async function widenHits(): Promise<void> {
    await sql`alter table ${counters} alter column hits type bigint`.execute(database().db)
    await sql`update ${counters} set hits = 5000000000 where id = 1`.execute(database().db)
  }

  it('is prepared again and run on every pooled connection, and each holds the new name', async () => {
    await sql`insert into ${counters} values (1, 7) on conflict (id) do update set hits = 7`.execute(database().db)
    const statement = new NamedStatement('select hits from counters where id = $1::text::integer')
    const db = pooled(CONNECTIONS)
    const before = await onEveryConnection(db, CONNECTIONS, (connection) => runStatement(connection, statement, ['1']))
    expect(before).toEqual(Array(CONNECTIONS).fill([{ hits: 7 }]))
    const oldName = statement.name

    await widenHits()
    const after = await onEveryConnection(db, CONNECTIONS, async (connection) => ({
      rows: await runStatement(connection, statement, ['1']),
      prepared: await preparedNames(connection),
    }))
    // bigint comes back from pg as a string: the plan is the new one.
    expect(after.map((each) => each.rows)).toEqual(Array(CONNECTIONS).fill([{ hits: '5000000000' }]))
    expect(statement.name).toBe(`${oldName}_1`)
    // One move for all connections, not one per connection.
    for (const { prepared } of after) expect(prepared).toEqual([oldName, `${oldName}_1`])
  })

  it('in a transaction, aborts it with a retryable ConcurrentWriteError, and transaction() runs it again prepared afresh', async () => {
    await sql`alter table ${counters} alter column hits type integer using 3`.execute(database().db)
    const statement = new NamedStatement('select hits, id from counters where id = $1::text::integer')
    const db = pooled(1)
    expect(await runStatement(db, statement, ['1'])).toEqual([{ hits: 3, id: 1 }])
    await widenHits()

    const plainTransaction = await rejection(db.transaction().execute((trx) => runStatement(trx, statement, ['1'])))
    expect(plainTransaction).toBeInstanceOf(ConcurrentWriteError)
    expect(plainTransaction).toMatchObject({ retryable: true, sqlState: '0A000', keyLock: undefined })
    expect((plainTransaction as Error).message).toMatch(/schema change .* run the transaction again/)

    // The connection prepares the statement's next name, then the table changes again.
    expect(await runStatement(db, statement, ['1'])).toEqual([{ hits: '5000000000', id: 1 }])
    await sql`alter table ${counters} alter column hits type numeric`.execute(database().db)
    const retries: unknown[] = []
    const rows = await transaction(db, (trx) => runStatement(trx, statement, ['1']), { onRetry: (error) => retries.push(error) })
    expect(rows).toEqual([{ hits: '5000000000', id: 1 }])
    expect(retries).toHaveLength(1)
    expect(retries[0]).toBeInstanceOf(ConcurrentWriteError)
  })
})

describe('repository statements that name a column the table no longer has', () => {
  const stock = defineTable({ name: 'stock', key: { sku: 'text' }, values: { qty: 'integer not null', label: 'text' } })
  // The application deployed with a definition ahead of the table.
  const stockAhead = defineTable({ name: 'stock', key: { sku: 'text' }, values: { qty: 'integer not null', label: 'text', currency: 'text' } })

  beforeAll(async () => {
    await createTable(database().db, stock)
    await bitemporal(database().db, stock).set({ sku: 'A' }, { from: '2024-01-01' }, { qty: 1, label: 'one' })
  })

  /** Every read and write of the repository over `connection`, each to its outcome. */
  async function everyCall(connection: Db, definition: TableDefinition): Promise<unknown[]> {
    const repo = bitemporal(connection, definition as typeof stock)
    const key = { sku: 'A' }
    const calls: (() => Promise<unknown>)[] = [
      () => repo.set(key, { from: '2024-03-01' }, { qty: 2, label: 'two' }),
      () => repo.update(key, { from: '2024-04-01' }, { qty: 3 }),
      () => repo.asOf(key),
      () => repo.asOf(key, { knownAt: new Date() }),
      () => repo.timeline(key),
      () => repo.timeline(key, { from: '2024-01-01', to: '2025-01-01', coalesce: true }),
      () => repo.history(key),
      () => repo.changes({ since: '2020-01-01T00:00:00Z' }),
      () => repo.changes({ since: '2020-01-01T00:00:00Z', key }),
      () => collect(repo.streamHistory(key)),
      () => collect(repo.streamChanges({ since: '2020-01-01T00:00:00Z' })),
      () => repo.transaction((inTransaction) => inTransaction.set(key, { from: '2024-05-01' }, { qty: 4, label: 'four' })),
    ]
    const outcomes: unknown[] = []
    for (const call of calls) outcomes.push(await call().catch((error: unknown) => error))
    return outcomes
  }

  function expectAllMismatch(outcomes: readonly unknown[]): void {
    for (const outcome of outcomes) {
      expect(outcome).toBeInstanceOf(TableMismatchError)
      expect(outcome).toMatchObject({ code: 'TABLE_MISMATCH', table: 'stock', sqlState: '42703', retryable: false })
      expect((outcome as Error).message).toMatch(/definition of "stock" .* differ.*deploy the definition that matches the table.*alterTable.*upgradeTable/)
    }
  }

  it('a definition ahead of the table: every call is a TableMismatchError, and nothing is written', async () => {
    const versions = (await bitemporal(database().db, stock).history({ sku: 'A' })).length
    expectAllMismatch(await everyCall(pooled(1), stockAhead))
    expect(await bitemporal(database().db, stock).history({ sku: 'A' })).toHaveLength(versions)
  })

  it('a column renamed under warm connections: every call on every connection is a TableMismatchError, not a DatabaseError', async () => {
    const db = pooled(CONNECTIONS)
    // Warm: each connection prepares every statement of the table.
    const warm = await onEveryConnection(db, CONNECTIONS, (connection) => everyCall(connection, stock))
    for (const outcomes of warm) for (const outcome of outcomes) expect(outcome).not.toBeInstanceOf(Error)
    await sql`alter table stock rename column label to title`.execute(database().db)

    const after = await onEveryConnection(db, CONNECTIONS, (connection) => everyCall(connection, stock))
    for (const outcomes of after) {
      for (const outcome of outcomes) expect(outcome).not.toBeInstanceOf(DatabaseError)
      expectAllMismatch(outcomes)
    }
  })
})
