import { type Kysely, sql } from 'kysely'
import { beforeAll, expect, it } from 'vitest'
import { TableNeedsUpgradeError } from '../../src/errors/schema-change-errors.js'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { createTable, upgradeTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { upgradeTableSql } from '../../src/schema/upgrade-table-sql.js'
import { useTestDatabase } from '../support/database.js'
import { rejectsWithCode } from '../support/rejects-with-code.js'

// A migration tool other than the library (node-pg-migrate, Prisma, …) runs a
// plain ALTER TABLE on a versions table. The library's objects must not block
// it; writes must fail with a typed error until upgradeTable has run, and
// then work, with every recorded version as it was (docs/semantics.md §5a).

const database = useTestDatabase()
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw SQL on the tables the tests create
const db = (): Kysely<any> => database().db

beforeAll(async () => {
  await install(db())
})

/** Every row of `table` as the text of its `columns`, sorted: history version by version, system ranges included. */
async function versions(table: string, columns: readonly string[]): Promise<string[]> {
  const list = columns.map((column) => `t.${column}`).join(', ')
  const result = await sql<{ row: string }>`select row(${sql.raw(list)})::text as row from ${sql.table(table)} t order by 1`.execute(db())
  return result.rows.map((row) => row.row)
}

/** A table with three versions of key A in current knowledge, five rows in all (two closed), and a knownAt that sees only the first write. */
async function tableWithHistory(name: string) {
  const definition = defineTable({ name, key: { sku: 'text' }, values: { net: 'numeric not null' } })
  await createTable(db(), definition)
  const repo = bitemporal(db(), definition)
  const first = await repo.set({ sku: 'A' }, { from: '2024-01-01' }, { net: '10.00' })
  await repo.update({ sku: 'A' }, { from: '2024-02-01' }, { net: '11.00' })
  await repo.update({ sku: 'A' }, { from: '2024-03-01' }, { net: '12.00' })
  const knownAt = first.systemTime ?? ''
  const before = await versions(name, ['sku', 'net', 'effective', 'system'])
  expect(before).toHaveLength(5)
  return { definition, repo, knownAt, before }
}

it('a nullable ADD COLUMN: writes fail typed and write nothing until upgradeTable; then they work and earlier versions read null', async () => {
  const { definition, repo, knownAt, before } = await tableWithHistory('plain_nullable')
  const pastBefore = await repo.timeline({ sku: 'A' }, { knownAt })
  await sql`alter table plain_nullable add column currency text`.execute(db())

  const refused = await rejectsWithCode(() => repo.update({ sku: 'A' }, { from: '2024-04-01' }, { net: '13.00' }), 'TABLE_NEEDS_UPGRADE')
  expect(refused).toBeInstanceOf(TableNeedsUpgradeError)
  expect(refused).toMatchObject({ table: 'plain_nullable', message: expect.stringMatching(/"plain_nullable".*upgradeTable\(db, definition\)/) as unknown })
  // A write that only inserts (a new key's first version) is refused too.
  await rejectsWithCode(() => repo.insert({ sku: 'B' }, { from: '2024-01-01' }, { net: '1.00' }), 'TABLE_NEEDS_UPGRADE')
  expect(await versions('plain_nullable', ['sku', 'net', 'effective', 'system'])).toEqual(before)

  // The old definition does not describe the table: named, nothing changed.
  const mismatch = await rejectsWithCode(() => upgradeTable(db(), definition), 'DEFINITION_MISMATCH')
  expect(mismatch).toMatchObject({ table: 'plain_nullable', differences: ['column "currency" is in the table but not in the definition'] })
  expect(mismatch.message).toMatch(/alterTable/)

  const next = defineTable({ name: 'plain_nullable', key: { sku: 'text' }, values: { net: 'numeric not null', currency: 'text' } })
  const ddl = await upgradeTableSql(db(), next)
  expect(ddl).toMatch(/row\(OLD\."sku", OLD\."net", OLD\."effective", NEW\."system", OLD\."currency"\) \*= NEW/)
  expect(ddl).toMatch(/or not row\(NEW\."sku", NEW\."net", NEW\."effective", NEW\."system", NEW\."currency"\) \*= NEW/)
  await upgradeTable(db(), next)
  expect(await versions('plain_nullable', ['sku', 'net', 'effective', 'system'])).toEqual(before)
  expect(await versions('plain_nullable', ['currency'])).toEqual(['()', '()', '()', '()', '()'])

  const upgraded = bitemporal(db(), next)
  expect(await upgraded.timeline({ sku: 'A' }, { knownAt })).toEqual(pastBefore.map((version) => ({ ...version, values: { ...version.values, currency: null } })))
  await upgraded.update({ sku: 'A' }, { from: '2024-04-01' }, { net: '13.00', currency: 'EUR' })
  expect((await upgraded.timeline({ sku: 'A' })).map((version) => [version.values.net, version.values.currency])).toEqual([
    ['10.00', null],
    ['11.00', null],
    ['12.00', null],
    ['13.00', 'EUR'],
  ])
  // The guard covers the new column: a rewrite of it is refused.
  await expect(sql`update plain_nullable set currency = 'USD' where currency = 'EUR'`.execute(db())).rejects.toMatchObject({ code: 'BT001' })
  const registered = await sql<{ value_columns: string[] }>`
    select value_columns from bitemporal.versioned_table where relation = 'plain_nullable'::regclass`.execute(db())
  expect(registered.rows).toEqual([{ value_columns: ['net', 'currency'] }])
})

it('ADD COLUMN … DEFAULT is accepted, and after upgradeTable every version ever recorded reads the default', async () => {
  const { repo, knownAt, before } = await tableWithHistory('plain_default')
  await sql`alter table plain_default add column currency text not null default 'EUR'`.execute(db())
  await rejectsWithCode(() => repo.update({ sku: 'A' }, { from: '2024-04-01' }, { net: '13.00' }), 'TABLE_NEEDS_UPGRADE')
  expect(await versions('plain_default', ['sku', 'net', 'effective', 'system'])).toEqual(before)

  const next = defineTable({ name: 'plain_default', key: { sku: 'text' }, values: { net: 'numeric not null', currency: "text not null default 'EUR'" } })
  await upgradeTable(db(), next)
  const upgraded = bitemporal(db(), next)
  expect((await upgraded.timeline({ sku: 'A' }, { knownAt })).map((version) => version.values)).toEqual([{ net: '10.00', currency: 'EUR' }])
  await upgraded.update({ sku: 'A' }, { from: '2024-04-01' }, { net: '13.00', currency: 'USD' })
  expect((await upgraded.timeline({ sku: 'A' })).map((version) => version.values.currency)).toEqual(['EUR', 'EUR', 'EUR', 'USD'])
})

it('a hand RENAME COLUMN, then upgradeTable with the renamed definition: history reads under the new name', async () => {
  const { knownAt, before } = await tableWithHistory('plain_renamed')
  await sql`alter table plain_renamed rename column net to amount`.execute(db())
  const next = defineTable({ name: 'plain_renamed', key: { sku: 'text' }, values: { amount: 'numeric not null' } })
  await upgradeTable(db(), next)
  expect(await versions('plain_renamed', ['sku', 'amount', 'effective', 'system'])).toEqual(before)
  const upgraded = bitemporal(db(), next)
  expect((await upgraded.timeline({ sku: 'A' }, { knownAt })).map((version) => version.values)).toEqual([{ amount: '10.00' }])
  await upgraded.update({ sku: 'A' }, { from: '2024-04-01' }, { amount: '13.00' })
  expect((await upgraded.timeline({ sku: 'A' })).map((version) => version.values.amount)).toEqual(['10.00', '11.00', '12.00', '13.00'])
  const registered = await sql<{ value_columns: string[] }>`
    select value_columns from bitemporal.versioned_table where relation = 'plain_renamed'::regclass`.execute(db())
  expect(registered.rows).toEqual([{ value_columns: ['amount'] }])
})

it('upgradeTable of a table that does not exist is a typed error naming it', async () => {
  const missing = defineTable({ name: 'plain_missing', key: { sku: 'text' }, values: { net: 'numeric' } })
  const error = await rejectsWithCode(() => upgradeTable(db(), missing), 'DEFINITION_MISMATCH')
  expect(error.message).toMatch(/there is no table plain_missing/)
})
