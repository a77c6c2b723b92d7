import { type Kysely, sql } from 'kysely'
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

// A table whose inserts fail with a serialization failure (40001, as the
// server raises it) on the attempts a sequence marks: sequences are not
// rolled back, so the attempt after a failed one sees the next number.
const flaky = defineTable({ name: 'retry_policy_flaky', key: { sku: 'text' }, values: { net: 'numeric' } })

beforeAll(async () => {
  await install(database().db)
  await createTable(database().db, prices)
  await createTable(database().db, flaky)
  await sql`create sequence retry_policy_attempt`.execute(database().db)
  await sql`create table retry_policy_failing (attempt bigint primary key)`.execute(database().db)
  await sql.raw(`create function retry_policy_fail() returns trigger language plpgsql as $$
    declare
      attempt_number bigint := nextval('retry_policy_attempt');
    begin
      if exists (select 1 from retry_policy_failing where attempt = attempt_number) then
        raise exception 'retry_policy: a serialization failure on purpose' using errcode = '40001';
      end if;
      return new;
    end $$`).execute(database().db)
  await sql`create trigger retry_policy_fail before insert on retry_policy_flaky for each row execute function retry_policy_fail()`.execute(database().db)
})

/** The next `count` inserts into the flaky table fail with 40001. */
async function failNextInserts(count: number): Promise<void> {
  await sql`insert into retry_policy_failing (attempt)
    select n.at + s from (select nextval('retry_policy_attempt') as at) as n, generate_series(1, ${count}::integer) as s`.execute(database().db)
}

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
  it('a single write that finds its key busy waits its turn in the server: one statement, no retry', async () => {
    const key = freshKey()
    const retries: [BitemporalError, number][] = []
    const { sent, outcome } = await loseOneRace(key, (db) => bitemporal(db, prices, { onRetry: (error, retry) => retries.push([error, retry]) }).set(key, portion, { net: '2' }))
    expect((await outcome).inserted).toBe(1)
    // bitemporal.write_in_turn waited for the lock and wrote on a fresh snapshot (decision 148).
    expect(retries).toEqual([])
    expect(sent).toEqual(['with'])
    expect((await bitemporal(database().db, prices).asOf(key, { validAt: '2024-01-15' }))?.values).toEqual({ net: '2' })
  })

  it('a single write calls the repository onRetry with the ConcurrentWriteError and retry 1, then runs again', async () => {
    const key = freshKey()
    const retries: [BitemporalError, number][] = []
    const writer = await own.connect()
    const before = writer.queries.length
    await failNextInserts(1)
    const written = await bitemporal(writer.db, flaky, { onRetry: (error, retry) => retries.push([error, retry]) }).set(key, portion, { net: '2' })
    expect(written.inserted).toBe(1)
    expect(retries.map(([error, retry]) => [error.constructor, error.sqlState, retry])).toEqual([[ConcurrentWriteError, '40001', 1]])
    expect(writer.queries.slice(before).map(statementKind)).toEqual(['with', 'with'])
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
    await failNextInserts(1)
    const singleError = await rejection(bitemporal(database().db, flaky, { retries: 0, onRetry }).set(freshKey(), portion, { net: '4' }))
    await failNextInserts(1)
    const transactionError = await rejection(transaction(database().db, (trx) => bitemporal(trx, flaky).set(freshKey(), portion, { net: '4' }), { retries: 0, onRetry }))
    const shape = (error: unknown): unknown => {
      const typed = error as ConcurrentWriteError
      return { class: typed.constructor, code: typed.code, retryable: typed.retryable, sqlState: typed.sqlState }
    }
    expect(shape(singleError)).toEqual({ class: ConcurrentWriteError, code: 'CONCURRENT_WRITE', retryable: true, sqlState: '40001' })
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
