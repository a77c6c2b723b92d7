import { sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { ImmutableHistoryError } from '../../src/errors/errors.js'
import { mapDatabaseError } from '../../src/errors/map-database-error.js'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import type { Repository } from '../../src/repository/repository.js'
import type { Version } from '../../src/codec/decode-version.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { invalidInput } from '../support/invalid-input.js'
import { useTestDatabase } from '../support/database.js'
import { rejectsWithCode } from '../support/rejects-with-code.js'
import type { UntypedRepository } from '../support/untyped-repository.js'

const database = useTestDatabase()

// A value column about a user (user_id: whom the limit is for) next to the
// audit columns (who recorded the change).
const limits = defineTable({
  name: 'credit_limits',
  key: { account_id: 'integer' },
  values: { user_id: 'integer', amount: 'numeric not null' },
  audit: true,
})


/** A repository without its argument types, for inputs a TypeScript caller could not write. */
const untyped = (repository: unknown): UntypedRepository => repository as UntypedRepository

let repo: Repository<typeof limits>

beforeAll(async () => {
  await install(database().db)
  await createTable(database().db, limits)
  repo = bitemporal(database().db, limits)
})

/** Every stored row of the table as PostgreSQL's text image, sorted. */
async function snapshot(): Promise<string[]> {
  const result = await sql<{ row: string }>`select t::text as row from credit_limits t order by 1`.execute(database().db)
  return result.rows.map((r) => r.row)
}

/** The audit of each version of `history`, with its values and ranges, for compact comparisons. */
function audits(history: readonly Version<typeof limits>[]): unknown[] {
  return history.map((v) => ({
    amount: v.values.amount,
    effective: [v.effective.from, v.effective.to],
    current: v.system.to === null,
    ...v.audit,
  }))
}

/** Runs raw SQL and expects the database to refuse it with BT001, mapped to ImmutableHistoryError; the table stays as it was. */
async function refusedByDatabase(statement: string): Promise<ImmutableHistoryError> {
  const before = await snapshot()
  let thrown: unknown
  try {
    await sql.raw(statement).execute(database().db)
  } catch (error) {
    thrown = error
  }
  expect(thrown, `expected the database to refuse: ${statement}`).toBeDefined()
  const mapped = mapDatabaseError(thrown)
  if (!(mapped instanceof ImmutableHistoryError)) throw new Error(`expected an ImmutableHistoryError, got ${mapped.name}: ${mapped.message}`)
  expect(mapped.code).toBe('IMMUTABLE_HISTORY')
  expect(mapped.sqlState).toBe('BT001')
  expect(await snapshot()).toEqual(before)
  return mapped
}

describe('an audited table needs an actor on every write', () => {
  const key = { account_id: 1 }
  const writes = [
    ['insert', (o: unknown) => untyped(repo).insert(key, { from: '2023-01-01' }, { amount: '100' }, o)],
    ['set', (o: unknown) => untyped(repo).set(key, { from: '2023-01-01', to: '2023-02-01' }, { amount: '100' }, o)],
    ['set (timeline change)', (o: unknown) => untyped(repo).set(key, { from: '2023-01-01' }, { amount: '100' }, o)],
    ['update', (o: unknown) => untyped(repo).update(key, { from: '2023-01-01' }, { amount: '200' }, o)],
    ['correct', (o: unknown) => untyped(repo).correct(key, { at: '2023-01-15' }, { amount: '200' }, o)],
    ['delete', (o: unknown) => untyped(repo).delete(key, { from: '2023-01-01' }, o)],
  ] as const

  beforeAll(async () => {
    await repo.set(key, { from: '2023-01-01' }, { amount: '50' }, { actor: 'setup' })
  })

  it.each(writes)('%s without { actor } is rejected and writes nothing', async (_, write) => {
    const before = await snapshot()
    const cases: unknown[] = [
      undefined,
      {},
      { reason: 'ticket 42' },
      { actor: '' },
      { actor: '   ' },
      { actor: 42 },
      { actor: null },
      { actor: ['alice'] },
      { actor: 'al\0ice' },
      { actor: 'alice', reason: 42 },
      { actor: 'alice', reason: 'ti\0cket' },
    ]
    for (const options of cases) {
      const error = await rejectsWithCode(() => write(options), 'INVALID_INPUT')
      expect(error.message).toMatch(/actor|reason/)
    }
    expect(await snapshot()).toEqual(before)
  })

  it('a no-op write with an actor writes nothing and records nobody', async () => {
    const before = await snapshot()
    const result = await repo.set(key, { from: '2023-01-01' }, { amount: '50' }, { actor: 'mallory' })
    expect(result.systemTime).toBeNull()
    expect(await snapshot()).toEqual(before)
  })
})

describe('who recorded and who closed each version', () => {
  const key = { account_id: 2 }
  let alice: string
  let bob: string

  beforeAll(async () => {
    const first = await repo.set(key, { from: '2023-01-01' }, { user_id: 7, amount: '100' }, { actor: 'alice', reason: 'ticket 42' })
    const second = await repo.update(key, { from: '2023-03-01', to: '2023-04-01' }, { amount: '150' }, { actor: 'bob' })
    if (first.systemTime === null || second.systemTime === null) throw new Error('the setup writes changed nothing')
    alice = first.systemTime
    bob = second.systemTime
  })

  it("records the actor and reason on the rows a write inserts, and the closer's on the rows it closes", async () => {
    const history = await repo.history(key)
    expect(audits(history)).toEqual([
      {
        amount: '100',
        effective: ['2023-01-01', null],
        current: false,
        recordedBy: 'alice',
        recordedReason: 'ticket 42',
        closedBy: 'bob',
        closedReason: null,
      },
      // Leftovers and the new part are all recorded by bob, who wrote them.
      { amount: '100', effective: ['2023-01-01', '2023-03-01'], current: true, recordedBy: 'bob', recordedReason: null, closedBy: null, closedReason: null },
      { amount: '150', effective: ['2023-03-01', '2023-04-01'], current: true, recordedBy: 'bob', recordedReason: null, closedBy: null, closedReason: null },
      { amount: '100', effective: ['2023-04-01', null], current: true, recordedBy: 'bob', recordedReason: null, closedBy: null, closedReason: null },
    ])
    expect(history[0]?.system).toEqual({ from: alice, to: bob })
    expect(history.slice(1).map((v) => v.system.from)).toEqual([bob, bob, bob])
  })

  it('returns the audit from every read', async () => {
    const version = await repo.asOf(key, { validAt: '2023-03-15' })
    expect(version?.audit).toEqual({ recordedBy: 'bob', recordedReason: null, closedBy: null, closedReason: null })
    const known = await repo.asOf(key, { validAt: '2023-03-15', knownAt: alice })
    expect(known?.audit).toEqual({ recordedBy: 'alice', recordedReason: 'ticket 42', closedBy: 'bob', closedReason: null })
    const timeline = await repo.timeline(key)
    expect(timeline.map((v) => v.audit?.recordedBy)).toEqual(['bob', 'bob', 'bob'])
    expect(Object.isFrozen(version?.audit)).toBe(true)
  })

  it('keeps the actor apart from a value column about a user', async () => {
    const version = await repo.asOf(key, { validAt: '2023-01-15' })
    expect(version?.values).toEqual({ user_id: 7, amount: '100' })
    expect(Object.keys(version?.values ?? {})).toEqual(['user_id', 'amount'])
    expect(version?.audit?.recordedBy).toBe('bob')
    // The actor is not a value, and the audit columns are not values either.
    await rejectsWithCode(() => untyped(repo).update(key, { from: '2023-01-01' }, { recorded_by: 'mallory' }, { actor: 'mallory' }), 'INVALID_INPUT')
    await rejectsWithCode(() => untyped(repo).update(key, { from: '2023-01-01' }, { actor: 'mallory' }, { actor: 'mallory' }), 'INVALID_INPUT')
    // Changing user_id is an ordinary value change, recorded by whoever makes it.
    await repo.update(key, { from: '2023-06-01' }, { user_id: 8 }, { actor: 'carol', reason: 'account moved' })
    const moved = await repo.asOf(key, { validAt: '2023-07-01' })
    expect(moved?.values.user_id).toBe(8)
    expect(moved?.audit).toEqual({ recordedBy: 'carol', recordedReason: 'account moved', closedBy: null, closedReason: null })
  })

  it('refuses a value column named like an audit column when the table is audited', () => {
    invalidInput(() => defineTable({ name: 'x', key: { id: 'integer' }, values: { recorded_by: 'text' }, audit: true }))
    invalidInput(() => defineTable({ name: 'x', key: { id: 'integer' }, values: { Closed_By: 'text' }, audit: true }))
  })

  it('records who closed the rows of a pure delete, which inserts nothing', async () => {
    const other = { account_id: 3 }
    await repo.set(other, { from: '2023-01-01', to: '2023-02-01' }, { amount: '10' }, { actor: 'alice' })
    await repo.set(other, { from: '2023-02-01', to: '2023-03-01' }, { amount: '20' }, { actor: 'alice' })
    const deleted = await repo.delete(other, { from: '2023-01-01' }, { actor: 'dave', reason: 'account closed' })
    expect(deleted).toMatchObject({ closed: 2, inserted: 0 })
    expect(await repo.timeline(other)).toEqual([])
    const history = await repo.history(other)
    expect(history).toHaveLength(2)
    for (const version of history) {
      expect(version.system.to).toBe(deleted.systemTime)
      expect(version.audit).toEqual({ recordedBy: 'alice', recordedReason: null, closedBy: 'dave', closedReason: 'account closed' })
    }
  })

  it('a correction records its actor and closes the old version in its name', async () => {
    const other = { account_id: 4 }
    await repo.insert(other, { from: '2023-01-01' }, { amount: '10' }, { actor: 'alice', reason: 'opened' })
    await repo.correct(other, { at: '2023-05-01' }, { amount: '11' }, { actor: 'erin', reason: 'typo' })
    expect(audits(await repo.history(other))).toEqual([
      { amount: '10', effective: ['2023-01-01', null], current: false, recordedBy: 'alice', recordedReason: 'opened', closedBy: 'erin', closedReason: 'typo' },
      { amount: '11', effective: ['2023-01-01', null], current: true, recordedBy: 'erin', recordedReason: 'typo', closedBy: null, closedReason: null },
    ])
  })

  it('stores actor and reason verbatim, SQL-looking text included', async () => {
    const other = { account_id: 5 }
    const actor = "o'brien\"; drop table credit_limits; --"
    await repo.set(other, { from: '2023-01-01' }, { amount: '1' }, { actor, reason: '$1 ::text' })
    expect((await repo.asOf(other, { validAt: '2023-01-01' }))?.audit).toEqual({ recordedBy: actor, recordedReason: '$1 ::text', closedBy: null, closedReason: null })
  })
})

describe('raw SQL cannot rewrite the audit', () => {
  const key = { account_id: 10 }

  beforeAll(async () => {
    await repo.set(key, { from: '2023-01-01' }, { amount: '1' }, { actor: 'alice', reason: 'first' })
    await repo.set(key, { from: '2023-01-01' }, { amount: '2' }, { actor: 'bob', reason: 'second' })
  })

  it('cannot change recorded_by or recorded_reason, of a current or a closed row', async () => {
    await refusedByDatabase(`update credit_limits set recorded_by = 'mallory' where account_id = 10 and upper_inf(system)`)
    await refusedByDatabase(`update credit_limits set recorded_by = 'mallory' where account_id = 10 and not upper_inf(system)`)
    await refusedByDatabase(`update credit_limits set recorded_reason = null where account_id = 10`)
    await refusedByDatabase(`update credit_limits set recorded_reason = 'forged' where account_id = 10 and upper_inf(system)`)
  })

  it('cannot set closed_by or closed_reason without closing the row', async () => {
    await refusedByDatabase(`update credit_limits set closed_by = 'mallory' where account_id = 10 and upper_inf(system)`)
    await refusedByDatabase(`update credit_limits set closed_reason = 'forged' where account_id = 10 and upper_inf(system)`)
  })

  it('cannot change closed_by or closed_reason once set, nor clear them', async () => {
    await refusedByDatabase(`update credit_limits set closed_by = 'mallory' where account_id = 10 and not upper_inf(system)`)
    await refusedByDatabase(`update credit_limits set closed_by = null where account_id = 10 and not upper_inf(system)`)
    await refusedByDatabase(`update credit_limits set closed_reason = 'forged' where account_id = 10 and not upper_inf(system)`)
  })

  it('cannot delete rows', async () => {
    await refusedByDatabase(`delete from credit_limits where account_id = 10`)
  })

  it('leaves the audit as the writes recorded it', async () => {
    const history = await repo.history(key)
    expect(history.map((v) => v.audit)).toEqual([
      { recordedBy: 'alice', recordedReason: 'first', closedBy: 'bob', closedReason: 'second' },
      { recordedBy: 'bob', recordedReason: 'second', closedBy: null, closedReason: null },
    ])
  })
})

describe('audited writes in a transaction', () => {
  it('records each write’s actor, all at one system time', async () => {
    const a = { account_id: 20 }
    const b = { account_id: 21 }
    const [first, second] = await repo.transaction(async (inside) => [
      await inside.set(a, { from: '2023-01-01' }, { amount: '1' }, { actor: 'alice' }),
      await inside.set(b, { from: '2023-01-01' }, { amount: '2' }, { actor: 'bob', reason: 'batch' }),
    ])
    expect(first.systemTime).toBe(second.systemTime)
    expect((await repo.asOf(a, { validAt: '2023-01-01' }))?.audit?.recordedBy).toBe('alice')
    expect((await repo.asOf(b, { validAt: '2023-01-01' }))?.audit).toMatchObject({ recordedBy: 'bob', recordedReason: 'batch' })
  })

  it('a rejected write inside a transaction writes nothing and the rest rolls back with it', async () => {
    const key = { account_id: 22 }
    const before = await snapshot()
    await rejectsWithCode(
      () =>
        repo.transaction(async (inside) => {
          await inside.set(key, { from: '2023-01-01' }, { amount: '1' }, { actor: 'alice' })
          await untyped(inside).set(key, { from: '2023-02-01' }, { amount: '2' })
        }),
      'INVALID_INPUT',
    )
    expect(await snapshot()).toEqual(before)
  })
})
