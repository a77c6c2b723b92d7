import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { install } from '../../src/install/install.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'
import { LIBRARY_VERSIONS } from '../support/library-versions.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw SQL on the library's own tables
type Db = Kysely<any>

/** What install leaves in the database, counted so that anything made twice shows. */
async function installed(db: Db): Promise<{
  versions: { name: string }[]
  functions: string[]
  versionedTables: number
  extension: { schema: string }[]
}> {
  const versions = await sql<{ name: string }>`select name from bitemporal.library_version order by name`.execute(db)
  const functions = await sql<{ name: string }>`
    select p.proname as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'bitemporal' and p.proname in ('system_time', 'check_inserted_system', 'guard_history')
    order by 1`.execute(db)
  const tables = await sql<{ count: string }>`
    select count(*)::text as count from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'bitemporal' and c.relname = 'versioned_table'`.execute(db)
  const extension = await sql<{ schema: string }>`
    select n.nspname as schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace
    where e.extname = 'btree_gist'`.execute(db)
  return {
    versions: versions.rows,
    functions: functions.rows.map((r) => r.name),
    versionedTables: Number(tables.rows[0]?.count),
    extension: extension.rows,
  }
}

/** A table with an integer key: its exclusion constraint needs btree_gist's `=` in GiST. */
async function createAndUseTable(db: Db, name: string): Promise<void> {
  await createTable(db, defineTable({ name, key: { id: 'integer', kind: 'text' }, values: { v: 'numeric' } }))
  await sql`insert into ${sql.table(name)} (id, kind, v, effective) values (1, 'a', 1, '[2023-01-01,)')`.execute(db)
  await expect(
    sql`insert into ${sql.table(name)} (id, kind, v, effective) values (1, 'a', 2, '[2023-02-01,)')`.execute(db),
  ).rejects.toMatchObject({ code: '23P01' })
}

describe('install on a fresh database', () => {
  const database = useTestDatabase()

  it('applies every library version, then a second install applies nothing and duplicates nothing', async () => {
    const { db } = database()
    const first = await install(db)
    expect(first.applied).toEqual(LIBRARY_VERSIONS)
    const afterFirst = await installed(db)
    expect(afterFirst).toEqual({
      versions: LIBRARY_VERSIONS.map((name) => ({ name })),
      functions: ['check_inserted_system', 'guard_history', 'system_time'],
      versionedTables: 1,
      extension: [{ schema: 'bitemporal' }],
    })

    const second = await install(db)
    expect(second.applied).toEqual([])
    expect(Object.isFrozen(second)).toBe(true)
    expect(await installed(db)).toEqual(afterFirst)
    await createAndUseTable(db, 'after_install')
  })

  it('does not touch the registry of versioned tables when run again', async () => {
    const { db } = database()
    await install(db)
    const registry = await sql<{ relation: string }>`select relation::text as relation from bitemporal.versioned_table`.execute(db)
    expect(registry.rows).toEqual([{ relation: 'after_install' }])
  })
})

describe('install from many processes at once', () => {
  const database = useTestDatabase()

  it('5 concurrent installs, each on its own pool, all succeed and apply each library version exactly once', async () => {
    const pools = Array.from({ length: 5 }, () => new pg.Pool({ connectionString: database().url, max: 2 }))
    const dbs: Db[] = pools.map((pool) => new Kysely({ dialect: new PostgresDialect({ pool }) }))
    try {
      const results = await Promise.all(dbs.map((db) => install(db)))
      expect(results.flatMap((r) => r.applied)).toEqual(LIBRARY_VERSIONS)
    } finally {
      await Promise.all(dbs.map((db) => db.destroy()))
    }
    const state = await installed(database().db)
    expect(state.versions).toEqual(LIBRARY_VERSIONS.map((name) => ({ name })))
    expect(state.functions).toEqual(['check_inserted_system', 'guard_history', 'system_time'])
    expect(state.versionedTables).toBe(1)
    await createAndUseTable(database().db, 'after_concurrent_install')
  })
})

describe('install when btree_gist is already installed in public', () => {
  const database = useTestDatabase()

  it('leaves the extension where it is and the tables it makes still work', async () => {
    const { db } = database()
    await sql`create extension btree_gist with schema public`.execute(db)
    const result = await install(db)
    expect(result.applied).toEqual(LIBRARY_VERSIONS)
    const state = await installed(db)
    expect(state.extension).toEqual([{ schema: 'public' }])
    expect(state.functions).toEqual(['check_inserted_system', 'guard_history', 'system_time'])
    await createAndUseTable(db, 'with_public_btree_gist')
  })
})

describe('install with a search_path that does not include public', () => {
  const database = useTestDatabase()

  it('still installs, and the tables work from a session with the default search_path', async () => {
    const pool = new pg.Pool({ connectionString: database().url, max: 1, options: '-c search_path=pg_catalog' })
    const db: Db = new Kysely({ dialect: new PostgresDialect({ pool }) })
    try {
      expect((await install(db)).applied).toEqual(LIBRARY_VERSIONS)
    } finally {
      await db.destroy()
    }
    await createAndUseTable(database().db, 'after_odd_search_path')
  })
})
