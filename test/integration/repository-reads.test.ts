import { sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'

// docs/semantics.md §4: without validAt a read asks about today (the UTC
// calendar day), and without knownAt about current knowledge, not the clock's
// present instant.

const database = useTestDatabase()
const plans = defineTable({ name: 'plans', key: { id: 'integer' }, values: { tier: 'text not null' } })

/** Yesterday, today and tomorrow as UTC calendar days, by the server's clock. */
async function utcDays(): Promise<{ yesterday: string; today: string; tomorrow: string }> {
  const { rows } = await sql<{ yesterday: string; today: string; tomorrow: string }>`
    select to_char(d - 1, 'YYYY-MM-DD') as yesterday, to_char(d, 'YYYY-MM-DD') as today, to_char(d + 1, 'YYYY-MM-DD') as tomorrow
    from (select (now() at time zone 'UTC')::date as d) as utc`.execute(database().db)
  const [days] = rows
  if (days === undefined) throw new Error('no row')
  return days
}

beforeAll(async () => {
  await install(database().db)
  await createTable(database().db, plans)
})

describe('reads with their defaults', () => {
  it('asOf without validAt reads the version valid on the UTC day of today', async () => {
    const repo = bitemporal(database().db, plans)
    const { yesterday, today, tomorrow } = await utcDays()
    await repo.set({ id: 1 }, { from: yesterday, to: tomorrow }, { tier: 'covers today' })
    await repo.set({ id: 2 }, { from: yesterday, to: today }, { tier: 'ended at the start of today' })
    await repo.set({ id: 3 }, { from: tomorrow }, { tier: 'starts tomorrow' })
    await repo.set({ id: 4 }, { from: today }, { tier: 'starts today' })

    expect((await repo.asOf({ id: 1 }))?.values.tier).toBe('covers today')
    expect(await repo.asOf({ id: 2 })).toBeUndefined()
    expect(await repo.asOf({ id: 3 })).toBeUndefined()
    expect((await repo.asOf({ id: 4 }))?.values.tier).toBe('starts today')
  })

  it('without knownAt, reads current knowledge: a correction made a moment ago is what it sees', async () => {
    const repo = bitemporal(database().db, plans)
    const first = await repo.set({ id: 5 }, { from: '2020-01-01' }, { tier: 'basic' })
    const second = await repo.set({ id: 5 }, { from: '2020-01-01' }, { tier: 'premium' })
    expect((await repo.asOf({ id: 5 }, { validAt: '2021-01-01' }))?.values.tier).toBe('premium')
    expect((await repo.timeline({ id: 5 })).map((v) => [v.values.tier, v.system])).toEqual([
      ['premium', { from: second.systemTime, to: null }],
    ])
    expect((await repo.asOf({ id: 5 }, { validAt: '2021-01-01', knownAt: first.systemTime ?? '' }))?.values.tier).toBe('basic')
  })
})
