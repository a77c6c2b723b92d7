import { sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import type { BitemporalError } from '../../src/errors/errors.js'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'
import { rejectsWithCode } from '../support/rejects-with-code.js'

// Errors with context (docs/errors.md, "Which call failed"): an error of a
// repository call says which table, which method and which key, as fields a
// handler can log or branch on, not only as words in the message.

const database = useTestDatabase()

const prices = defineTable({ name: 'prices', key: { sku: 'text', region: 'text' }, values: { net: 'numeric not null' } })
// Defined, never created: its statements fail in the database.
const missing = defineTable({ name: 'missing_prices', key: { sku: 'text' }, values: { net: 'numeric' } })

beforeAll(async () => {
  const db = database().db
  await install(db)
  await createTable(db, prices)
  await sql`alter table prices add constraint prices_net_positive check (net > 0)`.execute(db)
  await bitemporal(db, prices).set({ sku: 'A', region: 'eu' }, { from: '2024-01-01' }, { net: '10.00' })
})

/** The error's context, and that its key is a frozen copy of the caller's, not the caller's object. */
function expectContext(error: BitemporalError, table: string, operation: string, key: Readonly<Record<string, unknown>> | undefined): void {
  expect({ table: error.table, operation: error.operation, key: error.key }).toEqual({ table, operation, key })
  if (key === undefined) return
  expect(error.key).not.toBe(key)
  expect(Object.isFrozen(error.key)).toBe(true)
}

describe('the errors of a repository call carry table, operation and key', () => {
  it('an insert over an existing version: OverlapError', async () => {
    const key = { sku: 'A', region: 'eu' }
    const error = await rejectsWithCode(() => bitemporal(database().db, prices).insert(key, { from: '2024-06-01' }, { net: '11.00' }), 'OVERLAP')
    expectContext(error, 'prices', 'insert', key)
  })

  it('a write whose expect is out of date: ConflictError', async () => {
    const key = { sku: 'A', region: 'eu' }
    const repository = bitemporal(database().db, prices)
    const read = await repository.lastChange(key)
    if (read === null) throw new Error('the key has a version')
    await repository.set(key, { from: '2024-03-01' }, { net: '12.00' })
    const error = await rejectsWithCode(() => repository.update(key, { from: '2024-04-01' }, { net: '13.00' }, { expect: read }), 'CONFLICT')
    expectContext(error, 'prices', 'update', key)
  })

  it('a correct where no version is valid: NotFoundError', async () => {
    const key = { sku: 'A', region: 'eu' }
    const error = await rejectsWithCode(() => bitemporal(database().db, prices).correct(key, { at: '2020-01-01' }, { net: '9.00' }), 'NOT_FOUND')
    expectContext(error, 'prices', 'correct', key)
  })

  it("a constraint of the application's own, mapped from the database: DatabaseError with its SQLSTATE", async () => {
    const key = { sku: 'B', region: 'us' }
    const error = await rejectsWithCode(() => bitemporal(database().db, prices).set(key, { from: '2024-01-01' }, { net: '-1' }), 'DATABASE_ERROR')
    expect(error.sqlState).toBe('23514')
    expectContext(error, 'prices', 'set', key)
  })

  it('a key the caller changes after the call does not change the error', async () => {
    const key = { sku: 'A', region: 'eu' }
    const error = await rejectsWithCode(() => bitemporal(database().db, prices).insert(key, { from: '2024-06-01' }, { net: '11.00' }), 'OVERLAP')
    key.sku = 'changed'
    expect(error.key).toEqual({ sku: 'A', region: 'eu' })
  })

  it('a read that fails in the database: the table, the method and the key', async () => {
    const key = { sku: 'A' }
    const error = await rejectsWithCode(() => bitemporal(database().db, missing).asOf(key), 'DATABASE_ERROR')
    expect(error.sqlState).toBe('42P01')
    expectContext(error, 'missing_prices', 'asOf', key)
    const history = await rejectsWithCode(() => bitemporal(database().db, missing).history(key), 'DATABASE_ERROR')
    expectContext(history, 'missing_prices', 'history', key)
  })

  it('an erase bitemporal.erase refuses: InvalidInputError, its message as the function wrote it', async () => {
    const key = { sku: 'A', region: 'eu' }
    const error = await rejectsWithCode(() => bitemporal(database().db, prices).erase(key, { reason: 'ticket 1', actor: 'dpo' }), 'INVALID_INPUT')
    expect(error.sqlState).toBe('22023')
    expect(error.message).toMatch(/^bitemporal: erase: net of public\.prices is not null, without a default and not text/)
    expectContext(error, 'prices', 'erase', key)
  })
})
