import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Kysely, sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { install, installLibrary, LIBRARY_SQL_FOLDER, libraryMigrationRunner } from '../../src/install/install.js'
import { pendingLibraryVersions } from '../../src/install/pending-library-versions.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'
import { LIBRARY_VERSIONS } from '../support/library-versions.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw SQL on the library's own objects
type Db = Kysely<any>

/** The library SQL as the package shipped it at commit 90eeb75: functions copied from file to file. */
const EARLIER_LIBRARY = fileURLToPath(new URL('../fixtures/library-sql-90eeb75/', import.meta.url))
/** The versions that library had; the ones after them are this package's. */
const EARLIER_VERSIONS = LIBRARY_VERSIONS.filter((name) => name < '0010')
const LATER_VERSIONS = LIBRARY_VERSIONS.filter((name) => name >= '0010')

const FUNCTION_NAMES = [
  'check_inserted_system', 'check_reference_child', 'check_reference_parent', 'describe_key', 'entity_table_of', 'erase',
  'erasure_allows', 'format_system_time', 'grant_eraser', 'grant_reader', 'grant_writer', 'guard_history', 'is_own_row',
  'raise_concurrent_write', 'record_dropped_column', 'reference_uncovered', 'refuse_pending_conversion', 'system_time', 'write_in_turn',
]

/**
 * Every function of the schema bitemporal that is the library's (not
 * btree_gist's, which lives there too): its full definition, its privileges
 * and owner; and every column of the library's tables.
 */
async function libraryObjects(db: Db): Promise<{ functions: string[][]; columns: string[][] }> {
  const functions = await sql<{ signature: string; definition: string; acl: string | null; owner: string }>`
    select p.oid::regprocedure::text as signature, pg_get_functiondef(p.oid) as definition, p.proacl::text as acl,
           pg_get_userbyid(p.proowner) as owner
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'bitemporal'
      and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
    order by 1`.execute(db)
  const columns = await sql<{ table_name: string; column_name: string; data_type: string; column_default: string | null; is_nullable: string }>`
    select table_name, column_name, data_type, column_default, is_nullable
    from information_schema.columns where table_schema = 'bitemporal' order by table_name, ordinal_position`.execute(db)
  return {
    functions: functions.rows.map((row) => [row.signature, row.definition, String(row.acl), row.owner]),
    columns: columns.rows.map((row) => [row.table_name, row.column_name, row.data_type, String(row.column_default), row.is_nullable]),
  }
}

/** Each library function's pg_proc row version: `create or replace` gives the row a new xmin. */
async function functionRowVersions(db: Db): Promise<Map<string, string>> {
  const { rows } = await sql<{ name: string; xmin: string }>`
    select p.proname as name, p.xmin::text as xmin from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'bitemporal' and p.proname = any(${FUNCTION_NAMES}::text[])`.execute(db)
  return new Map(rows.map((row) => [row.name, row.xmin]))
}

const prices = defineTable({ name: 'prices', key: { id: 'integer' }, values: { amount: 'numeric' } })

describe('the library installed fresh and upgraded from the copies of 90eeb75', () => {
  const fresh = useTestDatabase()
  const upgraded = useTestDatabase()

  it('end with the same functions, privileges and tables, and the upgrade reports no edited version', async () => {
    const freshResult = await install(fresh().db)
    expect(freshResult).toEqual({ applied: LIBRARY_VERSIONS, functions: FUNCTION_NAMES })

    const { db } = upgraded()
    // As the earlier package installed itself: the same runner, its own folder, no function files.
    expect((await libraryMigrationRunner(db, EARLIER_LIBRARY).up()).migrations).toEqual(EARLIER_VERSIONS)
    expect(await pendingLibraryVersions(db)).toEqual([...LATER_VERSIONS, ...FUNCTION_NAMES.map((name) => `functions/${name}`)])

    expect(await install(db)).toEqual({ applied: LATER_VERSIONS, functions: FUNCTION_NAMES })
    // createTable writes the registry's definition column, which a later version adds: after install.
    await createTable(db, prices)
    await sql`insert into prices (id, amount, effective) values (1, 10, '[2024-01-01,)')`.execute(db)
    expect((await libraryMigrationRunner(db).status()).map((status) => [status.name, status.state])).toEqual(
      LIBRARY_VERSIONS.map((name) => [name, 'applied']),
    )
    expect(await pendingLibraryVersions(db)).toEqual([])
    expect(await libraryObjects(db)).toEqual(await libraryObjects(fresh().db))
    // The table made with the earlier library runs the guard's one body now.
    await expect(sql`delete from prices`.execute(db)).rejects.toMatchObject({ code: 'BT001' })
    await db.transaction().execute(async (trx) => {
      await sql`insert into prices (id, amount, effective) values (2, 20, '[2024-01-01,)')`.execute(trx)
      await sql`delete from prices where id = 2`.execute(trx) // its own row: is_own_row lets it go
    })
    expect(await install(db)).toEqual({ applied: [], functions: [] })
  })

  it('still reports an applied version edited in any other way', async () => {
    const { db } = upgraded()
    await sql`update bitemporal.library_version_checksum set checksum = 'f00d' where name = '0003_privileges'`.execute(db)
    await expect(install(db)).rejects.toMatchObject({ code: 'MIGRATION_EDITED', migrations: ['0003_privileges'] })
  })
})

describe('function files are applied again when they change, and only then', () => {
  const database = useTestDatabase()
  const folder = mkdtempSync(join(tmpdir(), 'bitemporal-library-'))
  cpSync(LIBRARY_SQL_FOLDER, folder, { recursive: true })
  afterAll(() => {
    rmSync(folder, { recursive: true, force: true })
  })

  it('applies a changed file once, and leaves every unchanged function as it was', async () => {
    const { db } = database()
    expect((await installLibrary(db, folder)).functions).toEqual(FUNCTION_NAMES)
    const before = await functionRowVersions(db)
    expect(await installLibrary(db, folder)).toEqual({ applied: [], functions: [] })
    expect(await functionRowVersions(db)).toEqual(before)

    const file = join(folder, 'functions', 'describe_key.sql')
    writeFileSync(file, readFileSync(file, 'utf8').replace("'(%s)=(%s)'", "'key (%s)=(%s)'"))
    expect(await installLibrary(db, folder)).toEqual({ applied: [], functions: ['describe_key'] })
    const { rows } = await sql<{ described: string }>`select bitemporal.describe_key(array['id'], '{"id": 7}') as described`.execute(db)
    expect(rows[0]?.described).toBe('key (id)=(7)')
    const after = await functionRowVersions(db)
    for (const name of FUNCTION_NAMES) {
      if (name === 'describe_key') expect(after.get(name), name).not.toBe(before.get(name))
      else expect(after.get(name), name).toBe(before.get(name))
    }
    expect(await installLibrary(db, folder)).toEqual({ applied: [], functions: [] })
  })

  it('has PostgreSQL inline is_own_row: a plan shows its expression, not a call (declared stable, it would be a call)', async () => {
    const { db } = database()
    const { rows } = await sql<{ 'QUERY PLAN': string }>`explain verbose select bitemporal.is_own_row(xmin) from bitemporal.versioned_table`.execute(db)
    const plan = rows.map((row) => row['QUERY PLAN']).join('\n')
    expect(plan).toContain('pg_xact_status(')
    expect(plan).not.toContain('is_own_row')
  })

  it('runs a changed function that needs a new version in the same transaction, after the version', async () => {
    const { db } = database()
    // A SQL function is checked against the tables when it is created: its body names a column only 0099 adds.
    writeFileSync(join(folder, '0099_note_column.sql'), 'alter table bitemporal.versioned_table add column note text;\n')
    writeFileSync(
      join(folder, 'functions', 'note_of.sql'),
      'create or replace function bitemporal.note_of(r regclass) returns text\nlanguage sql stable\nas $$ select note from bitemporal.versioned_table where relation = r $$;\n',
    )
    expect(await installLibrary(db, folder)).toEqual({ applied: ['0099_note_column'], functions: ['note_of'] })
    const { rows } = await sql<{ check: string }>`select current_setting('check_function_bodies') as check`.execute(db)
    expect(rows[0]?.check).toBe('on')
  })

  it('refuses a body that names a column no version makes, and applies nothing of the run', async () => {
    const { db } = database()
    writeFileSync(join(folder, '0100_other_column.sql'), 'alter table bitemporal.versioned_table add column other text;\n')
    writeFileSync(
      join(folder, 'functions', 'note_of.sql'),
      'create or replace function bitemporal.note_of(r regclass) returns text\nlanguage sql stable\nas $$ select missing from bitemporal.versioned_table where relation = r $$;\n',
    )
    await expect(installLibrary(db, folder)).rejects.toMatchObject({ code: 'MIGRATION_FAILED' })
    const { rows } = await sql<{ other: boolean; recorded: boolean }>`
      select exists (select 1 from information_schema.columns where table_schema = 'bitemporal' and column_name = 'other') as other,
             exists (select 1 from bitemporal.library_version where name = '0100_other_column') as recorded`.execute(db)
    expect(rows[0]).toEqual({ other: false, recorded: false })
    expect(await installLibrary(db, folder).catch((error: unknown) => error)).toMatchObject({
      code: 'MIGRATION_FAILED',
      message: expect.stringMatching(/functions\/note_of\.sql.*missing/s) as unknown,
    })
  })
})
