import { type Kysely, sql } from 'kysely'
import { beforeAll, expect, it } from 'vitest'
import { BitemporalError } from '../../src/errors/errors.js'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { createTable, upgradeTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'
import { earlierObjectsSql } from '../support/earlier-objects.js'
import { rejection } from '../support/rejection.js'

// A table created before decisions 73 and 74 has the 5-argument
// <table>_changed_after and trigger conditions that call
// bitemporal.system_time(). The write statements of this version call the
// 6-argument function, so writes to such a table fail until upgradeTable
// brings its objects up to date; its rows stay as they were.

const database = useTestDatabase()
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw SQL on the table the test creates
const db = (): Kysely<any> => database().db
const prices = defineTable({ name: 'old_prices', key: { sku: 'text' }, values: { net: 'numeric not null' } })
const repo = () => bitemporal(db(), prices)

async function objects(): Promise<{ functions: string[]; triggers: string[] }> {
  const functions = await sql<{ f: string }>`
    select p.oid::regprocedure::text as f from pg_proc p where p.proname = 'old_prices_changed_after' order by 1`.execute(db())
  const triggers = await sql<{ d: string }>`
    select pg_get_triggerdef(oid) as d from pg_trigger
    where tgname in ('old_prices_check_inserted_system', 'old_prices_guard_history') order by tgname`.execute(db())
  return { functions: functions.rows.map((r) => r.f), triggers: triggers.rows.map((r) => r.d) }
}

beforeAll(async () => {
  await install(db())
  await createTable(db(), prices)
  await repo().set({ sku: 'A' }, { from: '2024-01-01' }, { net: '10.00' })
  await sql.raw(earlierObjectsSql(prices)).execute(db())
})

it('a table with the earlier objects refuses writes, and upgradeTable makes them work, keeping its history', async () => {
  const before = await repo().history({ sku: 'A' })
  const refused = await rejection(repo().update({ sku: 'A' }, { from: '2024-02-01' }, { net: '11.00' }))
  expect(refused).toBeInstanceOf(BitemporalError)
  expect((refused as BitemporalError).message).toMatch(/old_prices_changed_after/)
  expect(await repo().history({ sku: 'A' })).toEqual(before)

  await upgradeTable(db(), prices)
  expect(await objects()).toEqual({
    functions: ['old_prices_changed_after(text,timestamp without time zone,daterange,bigint,tid[])'],
    triggers: [
      expect.stringContaining("tsrange((now() AT TIME ZONE 'UTC'::text), NULL") as unknown,
      expect.stringMatching(/lower\(old\.system\) < \(now\(\) AT TIME ZONE 'UTC'::text\)/) as unknown,
    ],
  })
  expect(await repo().history({ sku: 'A' })).toEqual(before)
  const { closed, inserted } = await repo().update({ sku: 'A' }, { from: '2024-02-01' }, { net: '11.00' })
  expect([closed, inserted]).toEqual([1, 2])
})

it('is harmless on a table that is already current, and the guard still refuses a stray UPDATE', async () => {
  const current = await objects()
  await upgradeTable(db(), prices)
  expect(await objects()).toEqual(current)
  const stray = await rejection(sql`update old_prices set net = 0`.execute(db()))
  expect(String(stray)).toMatch(/bitemporal/)
  expect((await repo().timeline({ sku: 'A' })).map((v) => v.values.net)).toEqual(['10.00', '11.00'])
})
