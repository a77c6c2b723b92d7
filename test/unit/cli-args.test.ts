import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { createMigration } from '../../src/cli/create-migration.js'
import { parseCommand } from '../../src/cli/parse-command.js'
import { runCli } from '../../src/cli/run-cli.js'
import { UsageError } from '../../src/cli/usage-error.js'
import { InvalidInputError } from '../../src/errors/errors.js'

interface CliRun {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

async function cli(argv: readonly string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliRun> {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    env: options.env ?? {},
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  })
  return { code, stdout, stderr }
}

const folders: string[] = []
afterAll(async () => {
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })))
})

async function tempFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'bitemporal-cli-unit-'))
  folders.push(folder)
  return folder
}

describe('parseCommand', () => {
  test('reads migrate actions with their defaults', () => {
    expect(parseCommand(['migrate', 'up'])).toEqual({
      kind: 'migrate',
      action: 'up',
      folder: 'migrations',
      url: undefined,
      schema: undefined,
      table: undefined,
      allowEdited: false,
      discardHistory: false,
    })
    expect(
      parseCommand(['migrate', 'down', '--folder', 'db', '--url=postgres://h/d', '--schema', 's', '--table', 't', '--allow-edited', '--discard-history']),
    ).toEqual({ kind: 'migrate', action: 'down', folder: 'db', url: 'postgres://h/d', schema: 's', table: 't', allowEdited: true, discardHistory: true })
    expect(parseCommand(['migrate', 'create', 'add_rates', '--ts'])).toEqual({
      kind: 'create',
      folder: 'migrations',
      name: 'add_rates',
      typescript: true,
    })
  })

  test('options may come before the command', () => {
    expect(parseCommand(['--folder', 'db', 'migrate', 'status'])).toMatchObject({ action: 'status', folder: 'db' })
  })

  test('help at every level, and the version', () => {
    const help = (argv: readonly string[]): string => {
      const command = parseCommand(argv)
      if (command.kind !== 'help') throw new Error(`not help: ${command.kind}`)
      return command.text
    }
    expect(help(['--help'])).toMatch(/^Usage: bitemporal <command>/)
    expect(help(['migrate', '-h'])).toMatch(/^Usage: bitemporal migrate <up\|down/)
    for (const action of ['up', 'down', 'status', 'create']) {
      expect(help(['migrate', action, '--help'])).toContain(`Usage: bitemporal migrate ${action}`)
    }
    expect(parseCommand(['--version'])).toEqual({ kind: 'version' })
  })

  test.each([
    [[], 'missing command'],
    [['migrat'], 'unknown command "migrat"'],
    [['migrate'], 'missing migrate command'],
    [['migrate', 'sideways'], 'unknown migrate command "sideways"'],
    [['migrate', 'up', 'extra'], 'unexpected argument "extra"'],
    [['migrate', 'up', '--bogus'], "Unknown option '--bogus'"],
    [['migrate', 'up', '--folder'], "Option '--folder <value>' argument missing"],
    [['migrate', 'up', '--ts'], 'option --ts does not apply to "migrate up"'],
    [['migrate', 'status', '--allow-edited'], 'option --allow-edited does not apply to "migrate status"'],
    [['migrate', 'up', '--discard-history'], 'option --discard-history does not apply to "migrate up"'],
    [['migrate', 'create', 'x', '--url', 'postgres://h/d'], 'option --url does not apply to "migrate create"'],
    [['migrate', 'create'], 'missing the name'],
    [['migrate', 'create', 'add-rates'], 'invalid migration name "add-rates"'],
    [['migrate', 'create', 'a', 'b'], 'unexpected argument "b"'],
    [['migrate', 'up', '--url', ''], '--url must not be empty'],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(UsageError)
    expect(() => parseCommand(argv)).toThrow(message)
  })
})

describe('runCli without a database', () => {
  test('--help and --version print to stdout and exit 0', async () => {
    const help = await cli(['migrate', 'status', '--help'])
    expect([help.code, help.stderr]).toEqual([0, ''])
    expect(help.stdout).toContain('--folder <dir>')
    const version = await cli(['--version'])
    expect([version.code, version.stderr]).toEqual([0, ''])
    expect(version.stdout).toMatch(/^bitemporal \d+\.\d+\.\d+/)
  })

  test('an unknown subcommand exits 2 with the usage', async () => {
    const run = await cli(['migrate', 'sideways'])
    expect(run.code).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/^error: unknown migrate command "sideways"\n\nUsage: bitemporal migrate/)
  })

  test('no URL exits 2 and says how to give one', async () => {
    const run = await cli(['migrate', 'up'], { env: { DATABASE_URL: '' } })
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/^error: no database: set DATABASE_URL or pass --url/)
  })

  test('a server that refuses exits 1 naming host:port, never the password', async () => {
    const run = await cli(['migrate', 'status'], { env: { DATABASE_URL: 'postgres://someone:s3cret-pw@127.0.0.1:1/nowhere' } })
    expect(run.code).toBe(1)
    expect(run.stderr).toBe(
      'error: cannot connect to PostgreSQL at 127.0.0.1:1 (database "nowhere", user "someone"): connect ECONNREFUSED 127.0.0.1:1\n',
    )
  })

  test('create writes a timestamped .sql file into a new folder, relative to the working directory', async () => {
    const cwd = await tempFolder()
    const before = new Date()
    const run = await cli(['migrate', 'create', 'Add_Rates_2'], { cwd })
    expect(run).toMatchObject({ code: 0, stderr: '' })
    const [file, ...others] = await readdir(join(cwd, 'migrations'))
    expect(others).toEqual([])
    expect(file).toMatch(/^\d{14}_Add_Rates_2\.sql$/)
    expect(run.stdout).toBe(`created ${join('migrations', file ?? '')}\n`)
    const stamp = file?.slice(0, 14) ?? ''
    const written = Date.UTC(+stamp.slice(0, 4), +stamp.slice(4, 6) - 1, +stamp.slice(6, 8), +stamp.slice(8, 10), +stamp.slice(10, 12), +stamp.slice(12, 14))
    expect(written).toBeGreaterThanOrEqual(Math.floor(before.getTime() / 1000) * 1000)
    expect(written).toBeLessThanOrEqual(Date.now())
    const content = await readFile(join(cwd, 'migrations', file ?? ''), 'utf8')
    expect(content).toMatch(/^-- migrate:down$/m)
  })
})

describe('createMigration', () => {
  const now = new Date('2026-03-04T05:06:07.890Z')

  test('names the file after the UTC time, whatever TZ says', async () => {
    const folder = await tempFolder()
    const path = await createMigration({ folder, name: 'tax_rates', now })
    expect(path).toBe(join(folder, '20260304050607_tax_rates.sql'))
  })

  test('the .ts template imports the Kysely type and exports up and down', async () => {
    const folder = await tempFolder()
    const content = await readFile(await createMigration({ folder, name: 'tax_rates', typescript: true, now }), 'utf8')
    expect(content).toContain("import type { Kysely } from 'kysely'")
    expect(content).toMatch(/^export async function up\(db: Kysely<any>\): Promise<void> \{$/m)
    expect(content).toMatch(/^export async function down\(db: Kysely<any>\): Promise<void> \{$/m)
    expect(content).toMatch(/^\s*\/\/ await createTable\(db, \w+\)$/m)
  })

  test('never overwrites, and rejects a bad name', async () => {
    const folder = await tempFolder()
    await createMigration({ folder, name: 'twice', now })
    await expect(createMigration({ folder, name: 'twice', now })).rejects.toThrow(/already exists/)
    await expect(createMigration({ folder, name: 'no spaces', now })).rejects.toBeInstanceOf(InvalidInputError)
  })
})
