import { createHash } from 'node:crypto'
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { DatabaseError, InvalidInputError, MigrationEditedError, MigrationFailedError } from '../../src/errors/errors.js'
import { migrate } from '../../src/install/migrate.js'
import { MigrationRunner } from '../../src/migrate/migration-runner.js'
import { useTestDatabase } from '../support/database.js'
import { LIBRARY_VERSIONS } from '../support/library-versions.js'
import { rejection } from '../support/rejection.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw SQL on tables the migrations create
type Db = Kysely<any>

const folders: string[] = []
afterAll(async () => {
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })))
})

/** A temporary migration folder holding `files` (name to content). */
async function migrationFolder(files: Record<string, string>): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'bitemporal-migrations-'))
  folders.push(folder)
  for (const [name, content] of Object.entries(files)) await writeFile(join(folder, name), content)
  return folder
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}


async function exists(db: Db, relation: string): Promise<boolean> {
  const result = await sql<{ found: boolean }>`select to_regclass(${relation}) is not null as found`.execute(db)
  return result.rows[0]?.found === true
}

/** Names in a bookkeeping table, or [] when it does not exist (yet). */
async function names(db: Db, table: string): Promise<string[]> {
  if (!(await exists(db, table))) return []
  const result = await sql<{ name: string }>`select name from ${sql.table(table)} order by name`.execute(db)
  return result.rows.map((r) => r.name)
}

async function states(runner: MigrationRunner): Promise<[string, string][]> {
  return (await runner.status()).map((s) => [s.name, s.state])
}

const createLog = `create table log (position serial primary key, name text not null);
insert into log (name) values ('001_a');

-- migrate:down
drop table log;
`

describe('order and once', () => {
  const database = useTestDatabase()
  let folder = ''

  it('applies .sql, .js and .mjs migrations in name order, skipping other files', async () => {
    const files = {
      '003_c.sql': `insert into log (name) values ('003_c');`,
      '001_a.sql': createLog,
      '002_b.js': `export async function up(db) {\n  await db.insertInto('log').values({ name: '002_b' }).execute()\n}\n`,
      '010_d.mjs': `export default {\n  async up(db) {\n    await db.insertInto('log').values({ name: '010_d' }).execute()\n  },\n}\n`,
      'README.md': 'not a migration',
      'notes.txt': 'drop table log;',
      '.hidden.sql': 'drop table log;',
      '004_types.d.ts': 'export {}',
    }
    folder = await migrationFolder(files)
    const { db } = database()
    const result = await migrate({ db, folder })
    expect(result.migrations).toEqual(['001_a', '002_b', '003_c', '010_d'])
    const log = await sql<{ name: string }>`select name from log order by position`.execute(db)
    expect(log.rows.map((r) => r.name)).toEqual(['001_a', '002_b', '003_c', '010_d'])
    expect(await names(db, 'bitemporal.migration')).toEqual(['001_a', '002_b', '003_c', '010_d'])

    const status = await new MigrationRunner({ db, folder }).status()
    expect(status.map((s) => [s.name, s.state, s.checksum, s.recordedChecksum])).toEqual(
      (['001_a.sql', '002_b.js', '003_c.sql', '010_d.mjs'] as const).map((file) => {
        const checksum = sha256(files[file])
        return [file.replace(/\.[a-z]+$/, ''), 'applied', checksum, checksum]
      }),
    )
    for (const s of status) expect(Number.isNaN(Date.parse(s.appliedAt ?? ''))).toBe(false)
  })

  it('applies each migration once: a second run applies nothing, a new file is applied alone', async () => {
    const { db } = database()
    expect((await migrate({ db, folder })).migrations).toEqual([])
    await writeFile(join(folder, '011_e.sql'), `insert into log (name) values ('011_e');`)
    expect((await migrate({ db, folder })).migrations).toEqual(['011_e'])
    expect((await migrate({ db, folder })).migrations).toEqual([])
    const log = await sql<{ name: string }>`select name from log order by position`.execute(db)
    expect(log.rows.map((r) => r.name)).toEqual(['001_a', '002_b', '003_c', '010_d', '011_e'])
  })
})

describe('many processes at once', () => {
  const database = useTestDatabase()

  it('10 concurrent migrate() runs, each with its own pool, apply each migration exactly once', async () => {
    const folder = await migrationFolder({
      // The sleep holds the lock a while, so that the other runs really queue up behind it.
      '001_counter.sql': `create table counter (id serial primary key, migration text not null);
insert into counter (migration) values ('001_counter');
select pg_sleep(0.2);`,
      '002_count.js': `export async function up(db) {\n  await db.insertInto('counter').values({ migration: '002_count' }).execute()\n}\n`,
      '003_count.sql': `insert into counter (migration) values ('003_count');`,
    })
    const dbs: Db[] = Array.from(
      { length: 10 },
      () => new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database().url, max: 2 }) }) }),
    )
    let results
    try {
      results = await Promise.all(dbs.map((db) => migrate({ db, folder })))
    } finally {
      await Promise.all(dbs.map((db) => db.destroy()))
    }
    // Between them the runs applied every migration once; the others found nothing to do.
    expect(results.flatMap((r) => r.migrations).sort()).toEqual(['001_counter', '002_count', '003_count'])
    const { db } = database()
    const counter = await sql<{ migration: string }>`select migration from counter order by migration`.execute(db)
    expect(counter.rows.map((r) => r.migration)).toEqual(['001_counter', '002_count', '003_count'])
    expect(await names(db, 'bitemporal.migration')).toEqual(['001_counter', '002_count', '003_count'])
    expect(await names(db, 'bitemporal.migration_checksum')).toEqual(['001_counter', '002_count', '003_count'])
    expect(await names(db, 'bitemporal.library_version')).toEqual(LIBRARY_VERSIONS)
  })
})

describe('edited migrations', () => {
  const database = useTestDatabase()

  it('reports an applied file edited afterwards, and up and down refuse to run unless allowEdited', async () => {
    const { db } = database()
    const original = 'create table edited_a (id integer);\n\n-- migrate:down\ndrop table edited_a;\n'
    const folder = await migrationFolder({ '001_a.sql': original })
    await migrate({ db, folder })

    const changed = `${original}-- a harmless comment, but the file is not what ran\n`
    await writeFile(join(folder, '001_a.sql'), changed)
    await writeFile(join(folder, '002_b.sql'), 'create table edited_b (id integer);')
    const runner = new MigrationRunner({ db, folder })
    const status = await runner.status()
    expect(status.map((s) => [s.name, s.state])).toEqual([
      ['001_a', 'edited'],
      ['002_b', 'pending'],
    ])
    expect(status[0]).toMatchObject({ checksum: sha256(changed), recordedChecksum: sha256(original) })

    for (const run of [() => runner.up(), () => migrate({ db, folder }), () => runner.down()]) {
      const error = await rejection(run())
      expect(error).toBeInstanceOf(MigrationEditedError)
      expect((error as MigrationEditedError).code).toBe('MIGRATION_EDITED')
      expect((error as MigrationEditedError).migrations).toEqual(['001_a'])
      expect((error as MigrationEditedError).message).toContain('001_a')
    }
    expect(await exists(db, 'public.edited_b')).toBe(false)
    expect(await exists(db, 'public.edited_a')).toBe(true)

    const allowed = await migrate({ db, folder, allowEdited: true })
    expect(allowed.migrations).toEqual(['002_b'])
    expect(await exists(db, 'public.edited_b')).toBe(true)
    // The record keeps the checksum of the file as it was applied.
    expect(await states(runner)).toEqual([
      ['001_a', 'edited'],
      ['002_b', 'applied'],
    ])
  })
})

describe('a failing migration', () => {
  const database = useTestDatabase()

  it('throws MigrationFailedError naming it, and leaves nothing of the run behind', async () => {
    const { db } = database()
    const folder = await migrationFolder({
      '001_first.sql': 'create table first_table (id integer);\ninsert into first_table values (1);',
      '002_broken.sql': 'create tabel oops (id integer);',
      '003_third.sql': 'create table third_table (id integer);',
    })
    const error = await rejection(migrate({ db, folder }))
    expect(error).toBeInstanceOf(MigrationFailedError)
    const failed = error as MigrationFailedError
    expect(failed.code).toBe('MIGRATION_FAILED')
    expect(failed.migration).toBe('002_broken')
    expect(failed.sqlState).toBe('42601')
    expect(failed.message).toContain('002_broken')
    expect(failed.cause).toBeInstanceOf(DatabaseError)

    expect(await exists(db, 'public.first_table')).toBe(false)
    expect(await exists(db, 'public.third_table')).toBe(false)
    expect(await names(db, 'bitemporal.migration')).toEqual([])
    expect(await names(db, 'bitemporal.migration_checksum')).toEqual([])
    expect(await states(new MigrationRunner({ db, folder }))).toEqual([
      ['001_first', 'pending'],
      ['002_broken', 'pending'],
      ['003_third', 'pending'],
    ])

    // Once fixed, the whole run goes through.
    await writeFile(join(folder, '002_broken.sql'), 'create table second_table (id integer);')
    expect((await migrate({ db, folder })).migrations).toEqual(['001_first', '002_broken', '003_third'])
    const first = await sql<{ id: number }>`select id from first_table`.execute(db)
    expect(first.rows).toEqual([{ id: 1 }])
  })

  it('names a .js migration that throws, and one that exports no up', async () => {
    const { db } = database()
    const folder = await migrationFolder({
      '001_throws.js': `export async function up() {\n  throw new Error('refusing to migrate')\n}\n`,
    })
    const error = await rejection(new MigrationRunner({ db, folder, table: 'js_migration' }).up())
    expect(error).toBeInstanceOf(MigrationFailedError)
    expect((error as MigrationFailedError).migration).toBe('001_throws')
    expect((error as MigrationFailedError).message).toContain('refusing to migrate')

    const noUp = await migrationFolder({ '001_no_up.js': 'export const down = async () => {}\n' })
    const noUpError = await rejection(new MigrationRunner({ db, folder: noUp, table: 'no_up_migration' }).up())
    expect(noUpError).toBeInstanceOf(MigrationFailedError)
    expect((noUpError as MigrationFailedError).migration).toBe('001_no_up')
    expect((noUpError as MigrationFailedError).message).toContain('up(db)')
    expect(await names(db, 'bitemporal.no_up_migration')).toEqual([])
  })

  it('rejects a folder that does not exist', async () => {
    const error = await rejection(new MigrationRunner({ db: database().db, folder: join(tmpdir(), 'bitemporal-no-such-folder') }).up())
    expect(error).toBeInstanceOf(MigrationFailedError)
    expect((error as MigrationFailedError).message).toContain('bitemporal-no-such-folder')
  })
})

describe('down', () => {
  const database = useTestDatabase()

  it('reverts the last applied migration and removes its checksum, one at a time', async () => {
    const { db } = database()
    const folder = await migrationFolder({
      '001_a.sql': 'create table down_a (id integer);\n-- migrate:down\ndrop table down_a;\n',
      '002_b.js': [
        'export async function up(db) {',
        "  await db.schema.createTable('down_b').addColumn('id', 'integer').execute()",
        '}',
        'export async function down(db) {',
        "  await db.schema.dropTable('down_b').execute()",
        '}',
        '',
      ].join('\n'),
    })
    await migrate({ db, folder })
    const runner = new MigrationRunner({ db, folder })

    expect((await runner.down()).migrations).toEqual(['002_b'])
    expect(await exists(db, 'public.down_b')).toBe(false)
    expect(await exists(db, 'public.down_a')).toBe(true)
    expect(await names(db, 'bitemporal.migration')).toEqual(['001_a'])
    expect(await names(db, 'bitemporal.migration_checksum')).toEqual(['001_a'])
    expect(await states(runner)).toEqual([
      ['001_a', 'applied'],
      ['002_b', 'pending'],
    ])

    expect((await runner.down()).migrations).toEqual(['001_a'])
    expect(await exists(db, 'public.down_a')).toBe(false)
    expect(await names(db, 'bitemporal.migration')).toEqual([])
    expect(await names(db, 'bitemporal.migration_checksum')).toEqual([])
    expect((await runner.down()).migrations).toEqual([])

    expect((await runner.up()).migrations).toEqual(['001_a', '002_b'])
    expect(await exists(db, 'public.down_b')).toBe(true)
  })

  it.each([
    ['a .sql file without a down part', '001_a.sql', 'create table nodown_1 (id integer);\n', 'nodown_1'],
    ['a .sql file with an empty down part', '001_a.sql', 'create table nodown_2 (id integer);\n-- migrate:down\n\n', 'nodown_2'],
    [
      'a .js module without down',
      '001_a.js',
      "export async function up(db) {\n  await db.schema.createTable('nodown_3').addColumn('id', 'integer').execute()\n}\n",
      'nodown_3',
    ],
  ])('refuses to revert %s with MigrationFailedError, changing nothing', async (_, file, content, table) => {
    const { db } = database()
    const folder = await migrationFolder({ [file]: content })
    // A bookkeeping table of its own per case, so that the cases do not see each other's migrations.
    const runner = new MigrationRunner({ db, folder, table: `${table}_migration` })
    await runner.up()
    const error = await rejection(runner.down())
    expect(error).toBeInstanceOf(MigrationFailedError)
    expect((error as MigrationFailedError).code).toBe('MIGRATION_FAILED')
    expect((error as MigrationFailedError).migration).toBe('001_a')
    expect((error as MigrationFailedError).message).toContain('cannot be reverted')
    expect(await exists(db, `public.${table}`)).toBe(true)
    expect(await names(db, `bitemporal.${table}_migration`)).toEqual(['001_a'])
    expect(await names(db, `bitemporal.${table}_migration_checksum`)).toEqual(['001_a'])
    expect(await states(runner)).toEqual([['001_a', 'applied']])
  })
})

describe('the folder changes under the record', () => {
  const database = useTestDatabase()

  it('reports a file deleted after it was applied as missing', async () => {
    const { db } = database()
    const second = 'create table missing_b (id integer);'
    const folder = await migrationFolder({ '001_a.sql': 'create table missing_a (id integer);', '002_b.sql': second })
    await migrate({ db, folder })
    await unlink(join(folder, '002_b.sql'))
    const status = await new MigrationRunner({ db, folder }).status()
    expect(status.map((s) => [s.name, s.state])).toEqual([
      ['001_a', 'applied'],
      ['002_b', 'missing'],
    ])
    expect(status[1]).toMatchObject({ checksum: undefined, recordedChecksum: sha256(second) })
    expect(status[1]?.appliedAt).toEqual(expect.any(String))
    // Running with a recorded migration gone is refused with a typed error.
    const error = await rejection(migrate({ db, folder }))
    expect(error).toBeInstanceOf(MigrationFailedError)
    expect((error as MigrationFailedError).message).toContain('002_b')
  })

  it('rejects two files with the same name and different extensions, applying nothing', async () => {
    const { db } = database()
    const folder = await migrationFolder({
      '001_same.sql': 'create table same_sql (id integer);',
      '001_same.js': "export async function up(db) {\n  await db.schema.createTable('same_js').addColumn('id', 'integer').execute()\n}\n",
    })
    const runner = new MigrationRunner({ db, folder, table: 'same_migration' })
    for (const run of [() => runner.up(), () => runner.status(), () => migrate({ db, folder, table: 'same_migration' })]) {
      const error = await rejection(run())
      expect(error).toBeInstanceOf(MigrationFailedError)
      expect((error as MigrationFailedError).message).toContain('001_same.js')
      expect((error as MigrationFailedError).message).toContain('001_same.sql')
    }
    expect(await exists(db, 'public.same_sql')).toBe(false)
    expect(await exists(db, 'public.same_js')).toBe(false)
    expect(await names(db, 'bitemporal.same_migration')).toEqual([])
  })
})

describe('bookkeeping options', () => {
  const database = useTestDatabase()

  it('keeps the record in the given schema and table', async () => {
    const { db } = database()
    const folder = await migrationFolder({ '001_a.sql': 'create table options_a (id integer);' })
    const runner = new MigrationRunner({ db, folder, schema: 'ops', table: 'applied' })
    expect((await runner.up()).migrations).toEqual(['001_a'])
    expect(await names(db, 'ops.applied')).toEqual(['001_a'])
    expect(await names(db, 'ops.applied_checksum')).toEqual(['001_a'])
    expect(await exists(db, 'ops.applied_lock')).toBe(true)
    expect(await exists(db, 'bitemporal.migration')).toBe(false)
  })

  it('names a misspelt option, and shows db and folder as required in the shape', () => {
    expect(() => new MigrationRunner({ db: database().db, folder: '.', allowedited: true } as never)).toThrow(
      'bitemporal: MigrationRunner: unknown option "allowedited"; the options are { db, folder, schema?, table?, allowEdited? }',
    )
  })

  it.each([
    [{ schema: 'bad-schema' }, 'bad-schema'],
    [{ table: 'migration; drop table x' }, 'migration; drop table x'],
  ])('rejects a bookkeeping name that is not an identifier: %j', (options, bad) => {
    expect(() => new MigrationRunner({ db: database().db, folder: '.', ...options })).toThrow(InvalidInputError)
    expect(() => new MigrationRunner({ db: database().db, folder: '.', ...options })).toThrow(bad)
  })
})

describe('a migration that creates a bitemporal table', () => {
  const database = useTestDatabase()
  // The migration imports the library from this checkout's source. Vitest loads
  // it in-process, TypeScript included, through the runner's dynamic import.
  const library = pathToFileURL(fileURLToPath(new URL('../../src/index.ts', import.meta.url))).href
  const migration = `import type { Kysely } from 'kysely'
import { createTable, defineTable, dropTable } from '${library}'

const taxRates = defineTable({
  name: 'tax_rates',
  key: { state_id: 'integer', tax_type: 'text' },
  values: { rate: 'numeric not null' },
})

export async function up(db: Kysely<any>): Promise<void> {
  await createTable(db, taxRates)
}

export async function down(db: Kysely<any>): Promise<void> {
  await dropTable(db, taxRates)
}
`

  it('rolls the table back with the run when a later migration fails', async () => {
    const { db } = database()
    const folder = await migrationFolder({ '001_tax_rates.ts': migration, '002_broken.sql': 'select * from no_such_table;' })
    const error = await rejection(migrate({ db, folder }))
    expect((error as MigrationFailedError).migration).toBe('002_broken')
    expect((error as MigrationFailedError).sqlState).toBe('42P01')
    expect(await exists(db, 'public.tax_rates')).toBe(false)
    const registry = await sql<{ count: string }>`select count(*)::text as count from bitemporal.versioned_table`.execute(db)
    expect(registry.rows[0]?.count).toBe('0')
  })

  it('creates it from a .ts migration with createTable, and down drops it with dropTable when told to discard history', async () => {
    const { db } = database()
    const folder = await migrationFolder({ '001_tax_rates.ts': migration })
    expect((await migrate({ db, folder })).migrations).toEqual(['001_tax_rates'])
    const registry = await sql<{ relation: string }>`select relation::text as relation from bitemporal.versioned_table`.execute(db)
    expect(registry.rows).toEqual([{ relation: 'tax_rates' }])
    // It is a real bitemporal table: the history guard is in place.
    await sql`insert into tax_rates (state_id, tax_type, rate, effective) values (1, 'income_tax', 0.15, '[2023-01-01,)')`.execute(db)
    await expect(sql`delete from tax_rates`.execute(db)).rejects.toMatchObject({ code: 'BT001' })

    // The table holds a row, its history: down drops it only when told so (drop-table.test.ts has the refusal).
    expect((await new MigrationRunner({ db, folder }).down({ discardHistory: true })).migrations).toEqual(['001_tax_rates'])
    expect(await exists(db, 'public.tax_rates')).toBe(false)
    const after = await sql<{ count: string }>`select count(*)::text as count from bitemporal.versioned_table`.execute(db)
    expect(after.rows[0]?.count).toBe('0')
  })
})
