import { sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'

// docs/semantics.md invariant 6 both ways: a write that leaves the stored content as it
// was writes nothing, and a write that changes what is stored is recorded,
// even where the type's `=` calls the old and new values equal (decision 81).

const database = useTestDatabase()
const contacts = defineTable({
  name: 'value_change_contacts',
  key: { id: 'integer' },
  values: { email: 'citext', amount: 'numeric', doc: 'json', code: 'char(3)', codes: 'char(3)[]', at: 'timestamptz' },
})
const repo = () => bitemporal(database().db, contacts)
let lastId = 0

beforeAll(async () => {
  await install(database().db)
  await sql`create extension if not exists citext`.execute(database().db)
  await createTable(database().db, contacts)
})

async function contact(): Promise<{ id: number }> {
  const key = { id: ++lastId }
  await repo().set(key, { from: '2024-01-01' }, { email: 'Bob@Example.COM', amount: '1.5', doc: '{"a": 1}', code: 'ab', codes: ['ab', 'c'], at: '2024-01-01T00:00:00Z' })
  return key
}

describe('a change that the type’s equality ignores is recorded', () => {
  it.each([
    { column: 'email', value: 'bob@example.com' },
    { column: 'amount', value: '1.50' },
  ] as const)('update of $column to $value', async ({ column, value }) => {
    const key = await contact()
    const result = await repo().update(key, { from: '2024-06-01' }, { [column]: value })
    expect(result.systemTime).not.toBeNull()
    const timeline = await repo().timeline(key)
    expect(timeline.map((v) => [v.effective.from, v.values[column]])).toEqual([
      ['2024-01-01', column === 'email' ? 'Bob@Example.COM' : '1.5'],
      ['2024-06-01', value],
    ])
    // The coalesced timeline compares as the write does: the two versions stay two.
    expect(await repo().timeline(key, { coalesce: true })).toHaveLength(2)
  })

  it('correct of the email’s case is recorded, over the whole version', async () => {
    const key = await contact()
    expect((await repo().correct(key, { at: '2024-03-01' }, { email: 'bob@example.com' })).systemTime).not.toBeNull()
    expect((await repo().asOf(key, { validAt: '2024-01-01' }))?.values.email).toBe('bob@example.com')
  })
})

describe('a json column, which has no = operator', () => {
  it('set, update, correct and the coalesced timeline work on it', async () => {
    const key = await contact()
    expect((await repo().update(key, { from: '2024-02-01', to: '2024-03-01' }, { doc: '{"a": 2}' })).systemTime).not.toBeNull()
    expect((await repo().set(key, { from: '2024-03-01', to: '2024-04-01' }, { email: 'Bob@Example.COM', amount: '1.5', doc: '{"a": 1}', code: 'ab', codes: ['ab', 'c'], at: '2024-01-01T00:00:00Z' })).systemTime).toBeNull()
    expect((await repo().correct(key, { at: '2024-02-15' }, { doc: '{"a": 3}' })).systemTime).not.toBeNull()
    const coalesced = await repo().timeline(key, { coalesce: true })
    expect(coalesced.map((v) => [v.effective.from, v.effective.to, v.values.doc])).toEqual([
      ['2024-01-01', '2024-02-01', '{"a": 1}'],
      ['2024-02-01', '2024-03-01', '{"a": 3}'],
      ['2024-03-01', null, '{"a": 1}'],
    ])
  })
})

describe('a write that leaves the stored values as they are writes nothing', () => {
  it.each([
    { name: 'the same values, char(3) given unpadded', patch: { email: 'Bob@Example.COM', code: 'ab' } },
    { name: 'the same instant in another offset', patch: { at: '2024-01-01T09:00:00+09:00' } },
    { name: 'char(3) given padded', patch: { code: 'ab ' } },
    { name: 'char(3)[] given unpadded, as it was', patch: { codes: ['ab', 'c'] } },
  ])('$name', async ({ patch }) => {
    const key = await contact()
    const before = await repo().history(key)
    expect((await repo().update(key, { from: '2024-06-01' }, patch)).systemTime).toBeNull()
    expect(await repo().history(key)).toEqual(before)
  })

  it('in a session with another TimeZone and DateStyle too', async () => {
    const key = await contact()
    const before = await repo().history(key)
    const result = await database().db.connection().execute(async (connection) => {
      await sql`set TimeZone = 'Asia/Kathmandu'; set DateStyle = 'SQL, DMY'`.execute(connection)
      try {
        return await bitemporal(connection, contacts).update(key, { from: '2024-06-01' }, { at: '2024-01-01T00:00:00Z', amount: '1.5' })
      } finally {
        await sql`reset TimeZone; reset DateStyle`.execute(connection)
      }
    })
    expect(result.systemTime).toBeNull()
    expect(await repo().history(key)).toEqual(before)
  })
})
