import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { BitemporalError, DatabaseError } from '../../src/errors/errors.js'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { statementKind } from '../support/counting-pool.js'
import { useTestDatabase } from '../support/database.js'
import { track, waitUntilBlocked, waitUntilGone } from '../support/lock-wait.js'
import { ownConnections } from '../support/own-connections.js'
import { rejection } from '../support/rejection.js'

// Connection failures the client detects itself carry SQLSTATE class 08
// (decision 79): 08001 when no connection could be made, 08006 when an open
// one was lost. Neither is retried; a lost write lands whole or not at all.

const database = useTestDatabase()
const accounts = defineTable({ name: 'connection_accounts', key: { id: 'integer' }, values: { owner: 'text' } })
const { connect, begin } = ownConnections(() => database().url)

beforeAll(async () => {
  await install(database().db)
  await createTable(database().db, accounts)
})

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the table the test creates
const nowhere = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: 'postgres://root@127.0.0.1:1/nowhere', max: 1 }) }) })
afterAll(() => nowhere.destroy())

it('a write to a server that refuses the connection fails with DatabaseError 08001 that says to check the host', async () => {
  const error = await rejection(bitemporal(nowhere, accounts).set({ id: 1 }, { from: '2024-01-01' }, { owner: 'ada' }))
  expect(error).toBeInstanceOf(DatabaseError)
  expect(error).toMatchObject({ code: 'DATABASE_ERROR', sqlState: '08001', retryable: false })
  expect((error as BitemporalError).message).toMatch(/could not connect to the server; check the host.*ECONNREFUSED 127\.0\.0\.1:1/)
})

it('a write whose connection is cut while it waits fails with DatabaseError 08006, is not retried, and lands once or not at all', async () => {
  const key = { id: 2 }
  await bitemporal(database().db, accounts).set(key, { from: '2024-01-01' }, { owner: 'ada' })

  // Another transaction holds the key's current version, so the write waits.
  const holder = await begin(database().db)
  await sql`select 1 from connection_accounts where id = ${key.id} and upper_inf(system) for update`.execute(holder)

  const writer = await connect()
  // The socket of the writer's one client, to cut it as a network failure would.
  const client = (await writer.pool.connect()) as pg.PoolClient & { readonly connection: { readonly stream: { destroy(): void } } }
  client.on('error', () => {})
  const socket = client.connection.stream
  client.release()

  const pending = track(writer.count(() => bitemporal(writer.db, accounts).set(key, { from: '2024-03-01' }, { owner: 'grace' })))
  await waitUntilBlocked(database().db, writer.pid, pending)
  socket.destroy()

  const error = await rejection(pending.promise)
  expect(error).toBeInstanceOf(DatabaseError)
  expect(error).toMatchObject({ code: 'DATABASE_ERROR', sqlState: '08006', retryable: false })
  expect((error as BitemporalError).message).toContain('a COMMIT in flight may have taken effect, so read the rows back')
  // Sent once: a lost connection is not a lost race.
  expect(writer.queries.filter((text) => statementKind(text) === 'with')).toHaveLength(1)

  // The server does not watch the socket while the statement waits: once the
  // lock is free it may still run and commit the write, which is why the
  // message says to read the rows back. What it cannot do is half of it.
  await holder.rollback().execute()
  await waitUntilGone(database().db, [writer.pid])
  const timeline = (await bitemporal(database().db, accounts).timeline(key)).map((v) => [v.effective.from, v.effective.to, v.values.owner])
  expect([
    [['2024-01-01', null, 'ada']],
    [['2024-01-01', '2024-03-01', 'ada'], ['2024-03-01', null, 'grace']],
  ]).toContainEqual(timeline)
  expect((await bitemporal(database().db, accounts).history(key)).filter((v) => v.values.owner === 'grace').length).toBeLessThanOrEqual(1)
})
