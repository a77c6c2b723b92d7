import { execFile } from 'node:child_process'
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { sql } from 'kysely'
import { afterAll, describe, expect, test } from 'vitest'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { createTableSql, dropTableSql } from '../../src/schema/create-table-sql.js'
import { defineTable } from '../../src/schema/define-table.js'
import { capturedCli, type CliRun } from '../support/captured-cli.js'
import { useTestDatabase } from '../support/database.js'

const database = useTestDatabase()

/** Runs the CLI in-process against the test database unless `env` says otherwise. */
function cli(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = { DATABASE_URL: database().url }): Promise<CliRun> {
  return capturedCli(argv, env)
}

const folders: string[] = []
afterAll(async () => {
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })))
})

/** A temp migration folder holding `files` (name -> content). */
async function folderWith(files: Readonly<Record<string, string>>): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'bitemporal-cli-'))
  folders.push(folder)
  for (const [name, content] of Object.entries(files)) await writeFile(join(folder, name), content)
  return folder
}

// Temp folders have no node_modules above them, so these modules import
// nothing and use the `db` they are given.
function jsCreatingTable(table: string): string {
  return `export async function up(db) {
  await db.schema.createTable('${table}').addColumn('id', 'integer', (c) => c.primaryKey()).execute()
}
export async function down(db) {
  await db.schema.dropTable('${table}').execute()
}
`
}

function sqlCreatingTable(table: string): string {
  return `create table ${table} (id integer primary key);\n\n-- migrate:down\ndrop table ${table};\n`
}

async function tableExists(name: string): Promise<boolean> {
  const { rows } = await sql<{ found: boolean }>`select to_regclass(${name}) is not null as found`.execute(database().db)
  return rows[0]?.found === true
}

/** The rows of a status table, split into cells. */
function statusRows(stdout: string): string[][] {
  return stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(/\s{2,}/))
}

describe('bitemporal migrate up', () => {
  test('applies .sql and .js migrations in name order, then has nothing to apply', async () => {
    const folder = await folderWith({
      '20260101000000_first.sql': sqlCreatingTable('up_first'),
      '20260102000000_second.js': jsCreatingTable('up_second'),
    })
    const first = await cli(['migrate', 'up', '--folder', folder, '--table', 'up_runs'])
    expect(first).toMatchObject({ code: 0, stderr: '' })
    expect(first.stdout).toMatch(/^installed library SQL \w+\n/)
    expect(first.stdout).toContain('applied 20260101000000_first\napplied 20260102000000_second\n')
    expect(await tableExists('up_first')).toBe(true)
    expect(await tableExists('up_second')).toBe(true)
    expect(await tableExists('bitemporal.up_runs')).toBe(true)

    expect(await cli(['migrate', 'up', '--folder', folder, '--table', 'up_runs'])).toEqual({ code: 0, stdout: 'nothing to apply\n', stderr: '' })
  })

  test('keeps its bookkeeping in --schema and --table', async () => {
    const folder = await folderWith({ '20260101000000_only.sql': sqlCreatingTable('books_only') })
    const run = await cli(['migrate', 'up', '--folder', folder, '--schema', 'cli_books', '--table', 'runs'])
    expect(run.code).toBe(0)
    expect(await tableExists('cli_books.runs')).toBe(true)
    expect(await tableExists('cli_books.runs_checksum')).toBe(true)
    const status = await cli(['migrate', 'status', '--folder', folder, '--schema', 'cli_books', '--table', 'runs'])
    expect(statusRows(status.stdout)).toEqual([['20260101000000_only', 'applied', expect.stringMatching(/^\d{4}-\d\d-\d\dT/)]])
  })

  test('a failing migration exits 1 with MIGRATION_FAILED and leaves none of the run behind', async () => {
    const folder = await folderWith({
      '20260101000000_good.sql': sqlCreatingTable('failing_good'),
      '20260102000000_bad.sql': 'select 1 / 0;\n',
    })
    const run = await cli(['migrate', 'up', '--folder', folder, '--table', 'failing_runs'])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/^error \[MIGRATION_FAILED\]: migration "20260102000000_bad" failed.*division by zero/)
    expect(run.stderr).not.toMatch(/^\s+at /m)
    expect(await tableExists('failing_good')).toBe(false)

    const status = await cli(['migrate', 'status', '--folder', folder, '--table', 'failing_runs'])
    expect(statusRows(status.stdout).map((row) => row[1])).toEqual(['pending', 'pending'])
  })

  test('BITEMPORAL_DEBUG=1 adds the stack traces', async () => {
    const folder = await folderWith({ '20260101000000_bad.sql': 'select 1 / 0;\n' })
    const run = await cli(['migrate', 'up', '--folder', folder, '--table', 'debug_runs'], { DATABASE_URL: database().url, BITEMPORAL_DEBUG: '1' })
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/^error \[MIGRATION_FAILED\]/)
    expect(run.stderr).toMatch(/^\s+at /m)
    expect(run.stderr).toContain('caused by: ')
  })
})

describe('bitemporal migrate status', () => {
  test('lists applied and pending, and exits 1 once an applied file is edited or gone', async () => {
    const folder = await folderWith({ '20260101000000_one.sql': sqlCreatingTable('status_one') })
    const args = ['--folder', folder, '--table', 'status_runs']
    expect((await cli(['migrate', 'up', ...args])).code).toBe(0)
    await writeFile(join(folder, '20260102000000_two.js'), jsCreatingTable('status_two'))

    const clean = await cli(['migrate', 'status', ...args])
    expect(clean.code).toBe(0)
    expect(clean.stdout.split('\n')[0]).toMatch(/^name\s+state\s+applied at$/)
    expect(statusRows(clean.stdout)).toEqual([
      ['20260101000000_one', 'applied', expect.stringMatching(/^\d{4}-\d\d-\d\dT/)],
      ['20260102000000_two', 'pending', '-'],
    ])

    await appendFile(join(folder, '20260101000000_one.sql'), '-- an edit after it ran\n')
    const edited = await cli(['migrate', 'status', ...args])
    expect(edited.code).toBe(1)
    expect(statusRows(edited.stdout)[0]?.[1]).toBe('edited')
    expect(edited.stderr).toContain('20260101000000_one')

    const refused = await cli(['migrate', 'up', ...args])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/^error \[MIGRATION_EDITED\]: /)
    expect(await tableExists('status_two')).toBe(false)

    const allowed = await cli(['migrate', 'up', ...args, '--allow-edited'])
    expect(allowed).toEqual({ code: 0, stdout: 'applied 20260102000000_two\n', stderr: '' })

    await rm(join(folder, '20260102000000_two.js'))
    const missing = await cli(['migrate', 'status', ...args])
    expect(missing.code).toBe(1)
    expect(statusRows(missing.stdout)[1]?.slice(0, 2)).toEqual(['20260102000000_two', 'missing'])
    expect(missing.stderr).toContain('20260102000000_two')
  })

  test('an empty folder has no migrations', async () => {
    const folder = await folderWith({})
    const run = await cli(['migrate', 'status', '--folder', folder, '--table', 'empty_runs'])
    expect(run).toEqual({ code: 0, stdout: `no migrations in ${folder}\n`, stderr: '' })
  })

  test('a folder that does not exist is an error, not an empty list', async () => {
    const run = await cli(['migrate', 'status', '--folder', join(tmpdir(), 'bitemporal-cli-no-such-folder')])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/^error \[MIGRATION_FAILED\]: cannot read the migration folder/)
  })
})

describe('bitemporal migrate down', () => {
  test('reverts the last applied migration only', async () => {
    const folder = await folderWith({
      '20260101000000_a.sql': sqlCreatingTable('down_a'),
      '20260102000000_b.js': jsCreatingTable('down_b'),
    })
    const args = ['--folder', folder, '--table', 'down_runs']
    expect((await cli(['migrate', 'up', ...args])).code).toBe(0)

    expect(await cli(['migrate', 'down', ...args])).toEqual({ code: 0, stdout: 'reverted 20260102000000_b\n', stderr: '' })
    expect(await tableExists('down_b')).toBe(false)
    expect(await tableExists('down_a')).toBe(true)
    const status = await cli(['migrate', 'status', ...args])
    expect(statusRows(status.stdout).map((row) => row[1])).toEqual(['applied', 'pending'])

    expect(await cli(['migrate', 'down', ...args])).toEqual({ code: 0, stdout: 'reverted 20260101000000_a\n', stderr: '' })
    expect(await cli(['migrate', 'down', ...args])).toEqual({ code: 0, stdout: 'nothing to revert\n', stderr: '' })
  })

  test('refuses to drop a bitemporal table that holds rows, exit 1, until --discard-history', async () => {
    // A .sql migration holding the DDL of createTableSql and dropTableSql, as a
    // team that keeps its migrations in SQL would write it.
    const rates = defineTable({ name: 'down_rates', key: { id: 'integer' }, values: { rate: 'numeric not null' } })
    const folder = await folderWith({ '20260101000000_down_rates.sql': `${createTableSql(rates)}\n\n-- migrate:down\n${dropTableSql(rates)}\n` })
    const args = ['--folder', folder, '--table', 'history_runs']
    expect((await cli(['migrate', 'up', ...args])).code).toBe(0)
    await bitemporal(database().db, rates).set({ id: 1 }, { from: '2023-01-01' }, { rate: '0.15' })
    await bitemporal(database().db, rates).set({ id: 1 }, { from: '2023-01-01' }, { rate: '0.19' })

    const refused = await cli(['migrate', 'down', ...args])
    expect(refused.code).toBe(1)
    expect(refused.stdout).toBe('')
    expect(refused.stderr).toBe(
      'error [MIGRATION_FAILED]: migration "20260101000000_down_rates" failed, so it was not reverted: ' +
        'refusing to drop "down_rates": it holds 2 versions: history that dropping the table would destroy. Nothing was dropped. ' +
        'Hint: Copy the rows elsewhere first if they must be kept. To drop them knowingly, pass { discardHistory: true } to dropTable or dropTableSql, ' +
        'run "bitemporal migrate down --discard-history" (runner.down({ discardHistory: true })), or set bitemporal.discard_history = on in the transaction.\n',
    )
    expect(await tableExists('down_rates')).toBe(true)
    expect((await bitemporal(database().db, rates).history({ id: 1 })).length).toBe(2)
    expect(statusRows((await cli(['migrate', 'status', ...args])).stdout).map((row) => row[1])).toEqual(['applied'])

    expect(await cli(['migrate', 'down', ...args, '--discard-history'])).toEqual({ code: 0, stdout: 'reverted 20260101000000_down_rates\n', stderr: '' })
    expect(await tableExists('down_rates')).toBe(false)
  })
})

describe('bitemporal migrate create', () => {
  test('the files it writes apply and revert as they are', async () => {
    const folder = join(await folderWith({}), 'nested', 'migrations')
    const args = ['--folder', folder, '--table', 'template_runs']
    expect((await cli(['migrate', 'create', 'from_sql_template', ...args.slice(0, 2)])).code).toBe(0)
    // Same-second names would clash on the timestamp; the .ts one sorts second anyway.
    expect((await cli(['migrate', 'create', 'from_ts_template', '--ts', ...args.slice(0, 2)])).code).toBe(0)
    const files = (await readdir(folder)).sort()
    expect(files).toEqual([expect.stringMatching(/^\d{14}_from_sql_template\.sql$/), expect.stringMatching(/^\d{14}_from_ts_template\.ts$/)])

    // The .ts file goes through the same dynamic import as at run time; vitest
    // transforms it, as tsx or Node 22.18+ would.
    const up = await cli(['migrate', 'up', ...args])
    expect(up.code, up.stderr).toBe(0)
    expect(up.stdout).toContain(`applied ${files[0]?.replace('.sql', '') ?? ''}\napplied ${files[1]?.replace('.ts', '') ?? ''}\n`)
    expect((await cli(['migrate', 'down', ...args])).code).toBe(0)
    expect((await cli(['migrate', 'down', ...args])).code).toBe(0)
  })
})

describe('bitemporal migrate create --table-change', () => {
  test('writes a migration whose alterTable renames and adds columns of a table with history, as written', async () => {
    const before = defineTable({ name: 'prices', key: { sku: 'text' }, values: { price: 'numeric(12,2) not null' } })
    const folder = await folderWith({ '20260101000000_prices.sql': createTableSql(before) })
    const args = ['--folder', folder, '--table', 'table_change_runs']
    expect((await cli(['migrate', 'up', ...args])).code).toBe(0)
    await bitemporal(database().db, before).set({ sku: 'A' }, { from: '2024-01-01' }, { price: '9.99' })

    expect((await cli(['migrate', 'create', 'prices_amount', '--table-change', '--folder', folder])).code).toBe(0)
    const file = (await readdir(folder)).find((name) => name.endsWith('_prices_amount.ts')) ?? ''
    const template = await readFile(join(folder, file), 'utf8')
    expect(template).toContain("from 'bitemporal'")
    // The package's name resolves to its build; here the migration imports the source it is built from.
    await writeFile(join(folder, file), template.replace("from 'bitemporal'", `from '${resolve('src/index.ts')}'`))
    const up = await cli(['migrate', 'up', ...args])
    expect(up.code, up.stderr).toBe(0)

    const { rows } = await sql<{ sku: string; amount: string; currency: string }>`select sku, amount::text, currency from prices`.execute(database().db)
    expect(rows).toEqual([{ sku: 'A', amount: '9.99', currency: 'EUR' }])
  })
})

describe('connection problems', () => {
  test('a database that does not exist is named with host:port, without the password', async () => {
    const url = new URL(database().url)
    url.pathname = '/no_such_database_for_cli'
    url.password = 'pw-that-must-not-show'
    const folder = await folderWith({})
    const run = await cli(['migrate', 'status', '--folder', folder, '--url', url.href], {})
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(`cannot connect to PostgreSQL at ${url.hostname}:${url.port || '5432'}`)
    expect(run.stderr).toContain('no_such_database_for_cli')
    expect(run.stderr).not.toContain('pw-that-must-not-show')
  })
})

describe('the bin entry', () => {
  test('src/cli/main.ts runs as a process and sets the exit code', async () => {
    const folder = await folderWith({ '20260101000000_bin.sql': sqlCreatingTable('bin_table') })
    const run = async (args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliRun> => {
      try {
        const { stdout, stderr } = await promisify(execFile)('npx', ['tsx', 'src/cli/main.ts', ...args], { env, cwd: process.cwd() })
        return { code: 0, stdout, stderr }
      } catch (error) {
        const failed = error as { code: number; stdout: string; stderr: string }
        return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
      }
    }
    const env = { ...process.env }
    delete env['DATABASE_URL']
    const status = await run(['migrate', 'status', '--url', database().url, '--folder', folder, '--table', 'bin_runs'], env)
    expect(status.code, status.stderr).toBe(0)
    expect(status.stdout).toMatch(/^name\s+state\s+applied at\n20260101000000_bin\s+pending\s+-\n$/)

    const noUrl = await run(['migrate', 'status', '--folder', folder], env)
    expect(noUrl.code).toBe(2)
    expect(noUrl.stderr).toContain('set DATABASE_URL or pass --url')
  })
})
