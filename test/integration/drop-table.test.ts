import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HistoryWouldBeLostError, InvalidInputError, MigrationFailedError } from '../../src/errors/errors.js'
import { mapDatabaseError } from '../../src/errors/map-database-error.js'
import { install } from '../../src/install/install.js'
import { migrate } from '../../src/install/migrate.js'
import { MigrationRunner } from '../../src/migrate/migration-runner.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { createTable, dropTable } from '../../src/schema/create-table.js'
import { dropTableSql } from '../../src/schema/create-table-sql.js'
import { defineTable, type TableDefinition } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'
import { track, waitUntilBlocked } from '../support/lock-wait.js'
import { ownConnections } from '../support/own-connections.js'
import { rejection } from '../support/rejection.js'

// Dropping a bitemporal table that holds rows destroys its history, which is
// never deleted as a side effect (docs/semantics.md §2, invariant 2):
// dropTable, the SQL of dropTableSql and a migration's down refuse unless
// told { discardHistory: true } (or `migrate down --discard-history`).

const database = useTestDatabase()
const connections = ownConnections(() => database().url)

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw SQL on tables the tests create
type Db = Kysely<any>

beforeAll(async () => {
  await install(database().db)
  await sql`create schema billing`.execute(database().db)
})

const folders: string[] = []
afterAll(async () => {
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })))
})

let tableCount = 0

/** A new bitemporal table `billing.rates_<n>`, created, holding `rows` versions (one key each). */
async function ratesTable(rows: number, options: { entity?: boolean } = {}): Promise<TableDefinition> {
  const definition = defineTable({
    name: `billing.rates_${String(++tableCount)}`,
    key: { id: 'integer' },
    values: { rate: 'numeric not null' },
    ...(options.entity === true ? { entity: true } : {}),
  })
  await createTable(database().db, definition)
  const repository = bitemporal(database().db, definition)
  for (let id = 1; id <= rows; id++) await repository.set({ id }, { from: '2023-01-01' }, { rate: '0.15' })
  return definition
}

async function exists(relation: string): Promise<boolean> {
  const { rows } = await sql<{ found: boolean }>`select to_regclass(${relation}) is not null as found`.execute(database().db)
  return rows[0]?.found === true
}

async function count(relation: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(relation)}`.execute(database().db)
  return rows[0]?.n ?? -1
}

async function registered(definition: TableDefinition): Promise<boolean> {
  const relation = `${definition.table.schema ?? 'public'}.${definition.table.name}`
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from bitemporal.versioned_table where relation::text = ${relation}`.execute(database().db)
  return rows[0]?.n === 1
}

/** Everything `createTable` made for `definition` is still there, with `rows` versions. */
async function expectIntact(definition: TableDefinition, rows: number): Promise<void> {
  const table = `billing.${definition.table.name}`
  expect(await exists(table)).toBe(true)
  expect(await count(table)).toBe(rows)
  expect(await registered(definition)).toBe(true)
  if (definition.entity) {
    expect(await exists(`${table}_entity`)).toBe(true)
    expect(await count(`${table}_entity`)).toBe(rows)
  }
  // Still a working bitemporal table: the write statements' function is there.
  await bitemporal(database().db, definition).set({ id: rows + 1 }, { from: '2024-01-01' }, { rate: '0.2' })
}

/** Nothing `createTable` made for `definition` is left. */
async function expectGone(definition: TableDefinition): Promise<void> {
  const table = `billing.${definition.table.name}`
  expect(await exists(table)).toBe(false)
  expect(await exists(`${table}_entity`)).toBe(false)
  expect(await registered(definition)).toBe(false)
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_proc where proname = ${`${definition.table.name}_changed_after`}`.execute(database().db)
  expect(rows[0]?.n).toBe(0)
}

describe('dropTable on a table that holds rows', () => {
  it('refuses with HistoryWouldBeLostError (HISTORY_WOULD_BE_LOST, SQLSTATE BT005) and drops nothing', async () => {
    const rates = await ratesTable(3)
    const error = await rejection(dropTable(database().db, rates))
    expect(error).toBeInstanceOf(HistoryWouldBeLostError)
    const refused = error as HistoryWouldBeLostError
    expect(refused.code).toBe('HISTORY_WOULD_BE_LOST')
    expect(refused.sqlState).toBe('BT005')
    expect(refused.retryable).toBe(false)
    expect(refused.message).toContain(`refusing to drop "billing"."${rates.table.name}": it holds 3 versions`)
    expect(refused.message).toContain('Nothing was dropped.')
    expect(refused.message).toContain('{ discardHistory: true }')
    expect(refused.message).toContain('bitemporal migrate down --discard-history')
    await expectIntact(rates, 3)
  })

  it('with { discardHistory: true } drops the table, its rows, its registry row and its function', async () => {
    const rates = await ratesTable(3)
    await dropTable(database().db, rates, { discardHistory: true })
    await expectGone(rates)
  })

  it('refuses when only the entity table holds rows, and drops nothing of either', async () => {
    const rates = await ratesTable(0, { entity: true })
    await sql`insert into ${sql.table(`billing.${rates.table.name}_entity`)} (id) values (1), (2)`.execute(database().db)
    const error = await rejection(dropTable(database().db, rates))
    expect(error).toBeInstanceOf(HistoryWouldBeLostError)
    expect((error as Error).message).toContain(`its entity table "billing"."${rates.table.name}_entity" holds 2 entities`)
    expect(await exists(`billing.${rates.table.name}`)).toBe(true)
    expect(await count(`billing.${rates.table.name}_entity`)).toBe(2)
    expect(await registered(rates)).toBe(true)
  })

  it('refuses a table with entity rows and versions, and with the flag drops both tables', async () => {
    const rates = await ratesTable(2, { entity: true })
    expect(await rejection(dropTable(database().db, rates))).toBeInstanceOf(HistoryWouldBeLostError)
    await expectIntact(rates, 2)
    await dropTable(database().db, rates, { discardHistory: true })
    await expectGone(rates)
  })

  it('says "more than 1000" rather than counting a large table in full', async () => {
    const rates = await ratesTable(0)
    await sql`insert into ${sql.table(`billing.${rates.table.name}`)} (id, rate, effective)
      select id, 0.1, '[2023-01-01,)' from generate_series(1, 1002) as id`.execute(database().db)
    const error = await rejection(dropTable(database().db, rates))
    expect((error as Error).message).toContain('it holds more than 1000 versions')
    expect(await count(`billing.${rates.table.name}`)).toBe(1002)
  })

  it('sees a row committed while it waited for the table: it locks before it counts', async () => {
    const rates = await ratesTable(0)
    const writer = await connections.begin(database().db)
    await sql`insert into ${sql.table(`billing.${rates.table.name}`)} (id, rate, effective) values (1, 0.1, '[2023-01-01,)')`.execute(writer)
    const dropper = await connections.connect()
    const dropping = track(dropTable(dropper.db, rates))
    // The drop waits for the writer's lock on the table, then counts what the writer committed.
    await waitUntilBlocked(database().db, dropper.pid, dropping)
    await writer.commit().execute()
    expect(await rejection(dropping.promise)).toBeInstanceOf(HistoryWouldBeLostError)
    expect(await count(`billing.${rates.table.name}`)).toBe(1)
  })
})

describe('dropTable on an empty table', () => {
  it('drops it without being told, entity table included', async () => {
    const plain = await ratesTable(0)
    await dropTable(database().db, plain)
    await expectGone(plain)
    const withEntity = await ratesTable(0, { entity: true })
    await dropTable(database().db, withEntity)
    await expectGone(withEntity)
  })
})

describe('dropTable and dropTableSql options', () => {
  it.each([
    ['a string flag', { discardHistory: 'yes' }, /discardHistory must be true or false/],
    ['an unknown option', { discard: true }, /unknown option "discard"; the options are \{ discardHistory\? \}/],
    ['not an object', 'discard', /options must be an object/],
  ])('%s is an InvalidInputError, and nothing is sent', async (_, options, message) => {
    const rates = await ratesTable(1)
    const error = await rejection(dropTable(database().db, rates, options as never))
    expect(error).toBeInstanceOf(InvalidInputError)
    expect((error as Error).message).toMatch(message)
    expect(() => dropTableSql(rates, options as never)).toThrow(message)
    await expectIntact(rates, 1)
  })
})

describe('the SQL of dropTableSql, run by hand', () => {
  it('refuses with BT005 while the table holds rows', async () => {
    const rates = await ratesTable(2)
    const error = await rejection(sql.raw(dropTableSql(rates)).execute(database().db))
    expect((error as { code?: string }).code).toBe('BT005')
    expect(mapDatabaseError(error)).toBeInstanceOf(HistoryWouldBeLostError)
    await expectIntact(rates, 2)
  })

  it('drops it in a transaction that sets bitemporal.discard_history = on, and the setting ends with that transaction', async () => {
    const rates = await ratesTable(2)
    const other = await ratesTable(1)
    await database()
      .db.transaction()
      .execute(async (trx) => {
        await sql`set local bitemporal.discard_history = on`.execute(trx)
        await sql.raw(dropTableSql(rates)).execute(trx)
      })
    await expectGone(rates)
    expect(await rejection(sql.raw(dropTableSql(other)).execute(database().db))).toMatchObject({ code: 'BT005' })
  })

  it('with { discardHistory: true } is the same DDL without the guard, and drops the rows', async () => {
    const rates = await ratesTable(2)
    const guarded = dropTableSql(rates)
    const unguarded = dropTableSql(rates, { discardHistory: true })
    expect(guarded.endsWith(unguarded)).toBe(true)
    expect(unguarded).not.toContain('BT005')
    await sql.raw(unguarded).execute(database().db)
    await expectGone(rates)
  })
})

describe("a migration's down", () => {
  // The migration imports the library from this checkout's source; vitest
  // loads it, TypeScript included, through the runner's dynamic import.
  const library = pathToFileURL(fileURLToPath(new URL('../../src/index.ts', import.meta.url))).href

  /** A migration folder with one .ts migration creating `name`, whose down calls dropTable(db, def) with `dropOptions`. */
  async function folderCreating(name: string, dropOptions = ''): Promise<string> {
    const folder = await mkdtemp(join(tmpdir(), 'bitemporal-drop-'))
    folders.push(folder)
    await writeFile(
      join(folder, `001_${name}.ts`),
      `import type { Kysely } from 'kysely'
import { createTable, defineTable, dropTable } from '${library}'

const rates = defineTable({ name: 'billing.${name}', key: { id: 'integer' }, values: { rate: 'numeric not null' } })

export async function up(db: Kysely<any>): Promise<void> {
  await createTable(db, rates)
}

export async function down(db: Kysely<any>): Promise<void> {
  await dropTable(db, rates${dropOptions})
}
`,
    )
    return folder
  }

  async function withRow(db: Db, name: string): Promise<void> {
    await sql`insert into ${sql.table(`billing.${name}`)} (id, rate, effective) values (1, 0.1, '[2023-01-01,)')`.execute(db)
  }

  it('that drops a table holding rows fails, is not reverted, and keeps the table; discardHistory lets it through', async () => {
    const db = database().db
    const folder = await folderCreating('reverted_rates')
    const table = { run: 'drop_runs' }
    await migrate({ db, folder, table: table.run })
    await withRow(db, 'reverted_rates')
    const runner = new MigrationRunner({ db, folder, table: table.run })

    const error = await rejection(runner.down())
    expect(error).toBeInstanceOf(MigrationFailedError)
    const failed = error as MigrationFailedError
    expect(failed.migration).toBe('001_reverted_rates')
    expect(failed.message).toContain('migration "001_reverted_rates" failed, so it was not reverted')
    expect(failed.message).toContain('refusing to drop "billing"."reverted_rates": it holds 1 version:')
    expect(failed.cause).toBeInstanceOf(HistoryWouldBeLostError)
    expect(failed.sqlState).toBe('BT005')
    expect((await runner.status()).map((s) => s.state)).toEqual(['applied'])
    expect(await count('billing.reverted_rates')).toBe(1)

    expect((await runner.down({ discardHistory: true })).migrations).toEqual(['001_reverted_rates'])
    expect(await exists('billing.reverted_rates')).toBe(false)
    expect((await runner.status()).map((s) => s.state)).toEqual(['pending'])
  })

  it('that drops an empty table is reverted without the flag', async () => {
    const db = database().db
    const folder = await folderCreating('empty_rates')
    await migrate({ db, folder, table: 'empty_runs' })
    expect((await new MigrationRunner({ db, folder, table: 'empty_runs' }).down()).migrations).toEqual(['001_empty_rates'])
    expect(await exists('billing.empty_rates')).toBe(false)
  })

  it('that says dropTable(db, def, { discardHistory: true }) itself drops the rows without the flag', async () => {
    const db = database().db
    const folder = await folderCreating('said_rates', ', { discardHistory: true }')
    await migrate({ db, folder, table: 'said_runs' })
    await withRow(db, 'said_rates')
    expect((await new MigrationRunner({ db, folder, table: 'said_runs' }).down()).migrations).toEqual(['001_said_rates'])
    expect(await exists('billing.said_rates')).toBe(false)
  })

  it('of a .sql file holding the text of dropTableSql refuses too, and discardHistory lets it through', async () => {
    const db = database().db
    const rates = defineTable({ name: 'billing.sql_rates', key: { id: 'integer' }, values: { rate: 'numeric not null' } })
    const folder = await mkdtemp(join(tmpdir(), 'bitemporal-drop-'))
    folders.push(folder)
    const { createTableSql } = await import('../../src/schema/create-table-sql.js')
    await writeFile(join(folder, '001_sql_rates.sql'), `${createTableSql(rates)}\n\n-- migrate:down\n${dropTableSql(rates)}\n`)
    await migrate({ db, folder, table: 'sql_runs' })
    await withRow(db, 'sql_rates')
    const runner = new MigrationRunner({ db, folder, table: 'sql_runs' })
    expect((await rejection(runner.down())) as Error).toMatchObject({ cause: expect.any(HistoryWouldBeLostError) as unknown })
    expect(await count('billing.sql_rates')).toBe(1)
    expect((await runner.down({ discardHistory: true })).migrations).toEqual(['001_sql_rates'])
    expect(await exists('billing.sql_rates')).toBe(false)
  })

  it.each([
    ['a string flag', { discardHistory: 'yes' }, /discardHistory must be true or false/],
    ['an unknown option', { discard: true }, /unknown option "discard"/],
  ])('down with %s is an InvalidInputError, and nothing is reverted', async (_, options, message) => {
    const db = database().db
    const folder = await folderCreating(`bad_option_${String(++tableCount)}`)
    await migrate({ db, folder, table: `bad_runs_${String(tableCount)}` })
    const runner = new MigrationRunner({ db, folder, table: `bad_runs_${String(tableCount)}` })
    const error = await rejection(runner.down(options as never))
    expect(error).toBeInstanceOf(InvalidInputError)
    expect((error as Error).message).toMatch(message)
    expect((await runner.status()).map((s) => s.state)).toEqual(['applied'])
  })
})
