import type { Kysely } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { type BitemporalError, ConcurrentWriteError, InvalidInputError } from '../../src/errors/errors.js'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { transaction } from '../../src/transaction/transaction.js'
import { statementKind } from '../support/counting-pool.js'
import { useTestDatabase } from '../support/database.js'
import { track, waitUntilBlocked } from '../support/lock-wait.js'
import { ownConnections } from '../support/own-connections.js'
import { rejection } from '../support/rejection.js'

// One retry policy for a single write and for transaction() (docs/reliability.md
// "Retries"): the same lost race is retried, queued for the key's lock and
// reported to onRetry on both paths, and with no retries left both give the
// same error.

const database = useTestDatabase()
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tables the test creates
type Db = Kysely<any>
const own = ownConnections(() => database().url)
const prices = defineTable({ name: 'retry_policy_prices', key: { sku: 'text' }, values: { net: 'numeric' } })

beforeAll(async () => {
  await install(database().db)
  await createTable(database().db, prices)
})

let nextKey = 0
const freshKey = (): { sku: string } => ({ sku: `k${String(++nextKey)}` })
const portion = { from: '2024-01-01', to: '2024-02-01' }

/**
 * Runs `write` on a connection of its own while another transaction holds
 * the key's lock (it wrote the key and has not committed): the write finds
 * the lock busy, waits for the holder, and loses the race once the holder
 * commits. Returns what the writer's connection sent and how `write` ended.
 */
async function loseOneRace<T>(key: { sku: string }, write: (db: Db) => Promise<T>): Promise<{ readonly sent: readonly string[]; readonly outcome: Promise<T> }> {
  const holder = await own.begin(database().db)
  await bitemporal(holder, prices).set(key, portion, { net: '1' })
  const writer = await own.connect()
  const before = writer.queries.length
  const pending = track(write(writer.db))
  await waitUntilBlocked(database().db, writer.pid, pending)
  await holder.commit().execute()
  await pending.promise.catch(() => undefined)
  return { sent: writer.queries.slice(before).map(statementKind), outcome: pending.promise }
}

describe('a single write and transaction() retry a lost race alike', () => {
  it('a single write calls the repository onRetry with the ConcurrentWriteError and retry 1, then writes in turn for the key', async () => {
    const key = freshKey()
    const retries: [BitemporalError, number][] = []
    const { sent, outcome } = await loseOneRace(key, (db) => bitemporal(db, prices, { onRetry: (error, retry) => retries.push([error, retry]) }).set(key, portion, { net: '2' }))
    expect((await outcome).inserted).toBe(1)
    expect(retries).toHaveLength(1)
    expect(retries[0]?.[1]).toBe(1)
    expect(retries[0]?.[0]).toBeInstanceOf(ConcurrentWriteError)
    expect((retries[0]?.[0] as ConcurrentWriteError).keyLock).toMatch(/^-?\d+$/)
    // The retry waits its turn for the key's lock before it writes.
    expect(sent).toEqual(['with', 'begin', 'select', 'with', 'commit'])
    expect((await bitemporal(database().db, prices).asOf(key, { validAt: '2024-01-15' }))?.values).toEqual({ net: '2' })
  })

  it('transaction() calls its onRetry the same way and runs the whole transaction again, queued for the key', async () => {
    const key = freshKey()
    const retries: [BitemporalError, number][] = []
    const { sent, outcome } = await loseOneRace(key, (db) =>
      transaction(db, (trx) => bitemporal(trx, prices).set(key, portion, { net: '3' }), { onRetry: (error, retry) => retries.push([error, retry]) }),
    )
    expect((await outcome).inserted).toBe(1)
    expect(retries.map(([error, retry]) => [error.constructor, retry])).toEqual([[ConcurrentWriteError, 1]])
    expect(sent).toEqual(['begin', 'with', 'rollback', 'begin', 'select', 'with', 'commit'])
  })

  it('with no retries left, both paths throw the same ConcurrentWriteError and call no onRetry', async () => {
    const retried: unknown[] = []
    const onRetry = (error: BitemporalError): void => void retried.push(error)
    const single = freshKey()
    const inTransaction = freshKey()
    const singleError = await rejection((await loseOneRace(single, (db) => bitemporal(db, prices, { retries: 0, onRetry }).set(single, portion, { net: '4' }))).outcome)
    const transactionError = await rejection(
      (await loseOneRace(inTransaction, (db) => transaction(db, (trx) => bitemporal(trx, prices).set(inTransaction, portion, { net: '4' }), { retries: 0, onRetry }))).outcome,
    )
    const shape = (error: unknown): unknown => {
      const typed = error as ConcurrentWriteError
      return { class: typed.constructor, code: typed.code, retryable: typed.retryable, sqlState: typed.sqlState, keyLock: typeof typed.keyLock }
    }
    expect(shape(singleError)).toEqual({ class: ConcurrentWriteError, code: 'CONCURRENT_WRITE', retryable: true, sqlState: '40001', keyLock: 'string' })
    expect(shape(transactionError)).toEqual(shape(singleError))
    expect(retried).toEqual([])
  })

  it('a write inside a transaction is never retried on its own: the repository onRetry is not called, the transaction retries', async () => {
    const key = freshKey()
    const repositoryRetries: unknown[] = []
    const transactionRetries: unknown[] = []
    const { outcome } = await loseOneRace(key, (db) =>
      transaction(db, (trx) => bitemporal(db, prices, { onRetry: (error) => repositoryRetries.push(error) }).with(trx).set(key, portion, { net: '5' }), {
        onRetry: (error) => transactionRetries.push(error),
      }),
    )
    expect((await outcome).inserted).toBe(1)
    expect(repositoryRetries).toEqual([])
    expect(transactionRetries).toHaveLength(1)
  })
})

describe('the retry options of bitemporal()', () => {
  it.each([
    ['retries: -1', { retries: -1 }, /retries must be a whole number from 0, got the number -1/],
    ['retries: NaN', { retries: Number.NaN }, /retries must be a whole number from 0/],
    ["retries: '3'", { retries: '3' }, /retries must be a whole number from 0/],
    ["onRetry: 'log'", { onRetry: 'log' }, /onRetry must be a function \(error, retry\) => void/],
    ['an unknown key', { onretry: () => undefined }, /onretry/],
  ])('%s is an InvalidInputError', (_, options, message) => {
    const refused = (): unknown => bitemporal(database().db, prices, options as never)
    expect(refused).toThrow(InvalidInputError)
    expect(refused).toThrow(message)
  })
})
