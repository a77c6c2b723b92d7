import { type Kysely, sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import type { WriteResult } from '../../src/repository/repository.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'

// The re-check a write makes once it holds its key's lock (decision 73):
// `<table>_changed_after(key…, t, reach, seen, found)` is true when the key's
// current versions in `reach` are not exactly the row versions `found`, or
// when a version of the key started or was closed after `t`. The race it
// exists for (a commit between a statement's snapshot and its lock) cannot be
// staged from outside a statement, so each answer is checked here directly,
// against row versions and times read from the table.

const database = useTestDatabase()
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw SQL on the table the test creates
const db = (): Kysely<any> => database().db
const rates = defineTable({ name: 'recheck_rates', key: { id: 'integer' }, values: { rate: 'numeric not null' } })
const repo = () => bitemporal(db(), rates)

beforeAll(async () => {
  await install(db())
  await createTable(db(), rates)
})

let lastKey = 0

/** A key with versions [Jan, Mar) and [Apr, May) of 2023, and the time they were written. */
async function keyWithTwoVersions(): Promise<{ id: number; t: string }> {
  const id = ++lastKey
  await repo().set({ id }, { from: '2023-01-01', to: '2023-03-01' }, { rate: '1' })
  return { id, t: await timeOf(repo().set({ id }, { from: '2023-04-01', to: '2023-05-01' }, { rate: '1' })) }
}

/** The `systemTime` of `write` as the `timestamp` the function takes. */
async function timeOf(write: Promise<WriteResult>): Promise<string> {
  const { systemTime } = await write
  const { rows } = await sql<{ t: string }>`select (${systemTime}::timestamptz at time zone 'UTC')::text as t`.execute(db())
  return rows[0]?.t ?? ''
}

/** The ctids of the key's current versions overlapping `reach`, as the write statement collects them. */
async function currentRows(id: number, reach: string): Promise<string[]> {
  const { rows } = await sql<{ row: string }>`
    select ctid::text as row from recheck_rates where id = ${id} and upper_inf(system) and effective && ${reach}::daterange`.execute(db())
  return rows.map((r) => r.row)
}

async function changedAfter(id: number, t: string, reach: string, found: readonly string[]): Promise<boolean> {
  const { rows } = await sql<{ changed: boolean }>`
    select recheck_rates_changed_after(${id}::integer, ${t}::timestamp, ${reach}::daterange, ${found.length}::bigint, ${[...found]}::text[]::tid[]) as changed`.execute(db())
  return rows[0]?.changed ?? false
}

describe('<table>_changed_after', () => {
  it('is false when the versions in reach are the ones found and nothing happened after t', async () => {
    const { id, t } = await keyWithTwoVersions()
    const reach = '[2023-01-01,2023-06-01)'
    expect(await changedAfter(id, t, reach, await currentRows(id, reach))).toBe(false)
  })

  it('is true when a version was added in reach (checked at the time of that write, so only the row set tells)', async () => {
    const { id } = await keyWithTwoVersions()
    const reach = '[2023-01-01,2023-06-01)'
    const found = await currentRows(id, reach)
    // The new version starts at the write's own time, not after it: at that
    // time only the row set can tell that something changed.
    const at = await timeOf(repo().set({ id }, { from: '2023-03-01', to: '2023-04-01' }, { rate: '2' }))
    expect(await changedAfter(id, at, reach, found)).toBe(true)
    expect(await changedAfter(id, at, reach, await currentRows(id, reach))).toBe(false)
  })

  it('is true when a version found was replaced by one with the same range (same count, another row version)', async () => {
    const { id } = await keyWithTwoVersions()
    const reach = '[2023-01-01,2023-06-01)'
    const found = await currentRows(id, reach)
    const at = await timeOf(repo().correct({ id }, { at: '2023-01-15' }, { rate: '3' }))
    const now = await currentRows(id, reach)
    expect(now).toHaveLength(found.length)
    expect(await changedAfter(id, at, reach, found)).toBe(true)
    expect(await changedAfter(id, at, reach, now)).toBe(false)
  })

  it('ignores changes outside the reach that happened at or before t', async () => {
    const { id } = await keyWithTwoVersions()
    const reach = '[2023-01-01,2023-02-01)'
    const found = await currentRows(id, reach)
    const at = await timeOf(repo().set({ id }, { from: '2023-06-01' }, { rate: '4' }))
    expect(await changedAfter(id, at, reach, found)).toBe(false)
  })

  it('is true when a version of the key started or was closed after t, even outside the reach', async () => {
    const { id, t } = await keyWithTwoVersions()
    const reach = '[2023-01-01,2023-02-01)'
    const found = await currentRows(id, reach)
    await repo().set({ id }, { from: '2023-06-01' }, { rate: '4' })
    expect(await changedAfter(id, t, reach, found)).toBe(true)
    const closedOnly = await keyWithTwoVersions()
    const foundClosed = await currentRows(closedOnly.id, reach)
    await repo().delete({ id: closedOnly.id }, { from: '2023-04-01' })
    expect(await changedAfter(closedOnly.id, closedOnly.t, reach, foundClosed)).toBe(true)
  })
})
