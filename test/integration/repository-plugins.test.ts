import { CamelCasePlugin, sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'

const database = useTestDatabase()
const prices = defineTable({ name: 'prices', key: { sku_id: 'integer' }, values: { net_amount: 'numeric not null' } })

beforeAll(async () => {
  await install(database().db)
  await createTable(database().db, prices)
})

describe("the caller's Kysely plugins", () => {
  it('do not touch what the repository reads and writes (a CamelCasePlugin would rename its columns)', async () => {
    const camel = database().db.withPlugin(new CamelCasePlugin())
    const repo = bitemporal(camel, prices)
    const written = await repo.set({ sku_id: 1 }, { from: '2024-01-01' }, { net_amount: '9.90' })
    expect(written.systemTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/)
    const version = await repo.asOf({ sku_id: 1 }, { validAt: '2024-02-01' })
    expect(version?.key).toEqual({ sku_id: 1 })
    expect(version?.values).toEqual({ net_amount: '9.90' })
    expect(version?.effective).toEqual({ from: '2024-01-01', to: null })
    expect(version?.system).toEqual({ from: written.systemTime, to: null })
  })

  it("stay on the transaction that repo.transaction hands to the caller's code", async () => {
    const camel = database().db.withPlugin(new CamelCasePlugin())
    const repo = bitemporal(camel, prices)
    const seen = await repo.transaction(async (bound, trx) => {
      await bound.update({ sku_id: 1 }, { from: '2024-03-01' }, { net_amount: '10.90' })
      // With the plugin, the caller's own query maps snake_case columns to camelCase.
      const { rows } = await sql<Record<string, unknown>>`select 1 as one_value`.execute(trx)
      return rows[0]
    })
    expect(seen).toEqual({ oneValue: 1 })
    expect((await repo.timeline({ sku_id: 1 })).map((v) => v.values.net_amount)).toEqual(['9.90', '10.90'])
  })
})
