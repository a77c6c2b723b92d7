import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { createMigration } from '../../src/cli/create-migration.js'
import { parseCommand } from '../../src/cli/parse-command.js'
import { runCli } from '../../src/cli/run-cli.js'
import { ACTION_USAGE, CHECK_USAGE, helpCommand, HISTORY_USAGE, MAIN_USAGE, MIGRATE_USAGE } from '../../src/cli/usage.js'
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
      tableChange: false,
    })
    expect(parseCommand(['migrate', 'create', 'add_currency', '--table-change'])).toMatchObject({ kind: 'create', name: 'add_currency', tableChange: true })
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
    [[], 'missing command: migrate, history, diff or check'],
    [['migrat'], 'unknown command "migrat"'],
    [['migrate'], 'missing migrate command'],
    [['migrate', 'sideways'], 'unknown migrate command "sideways"'],
    [['migrate', 'up', 'extra'], 'unexpected argument "extra"'],
    [['migrate', 'up', '--bogus'], 'unknown option --bogus for "migrate up"; the options are --folder, --url, --schema, --table, --allow-edited, --help'],
    [['--bogus=3', 'history', 'rates'], 'unknown option --bogus for "history"; the options are --url, --key, --valid-at, --known-at, --svg, --help'],
    [['migrate', 'create', 'x', '-x'], 'unknown option -x for "migrate create"; the options are --folder, --ts, --table-change, --help'],
    [['--bogus'], 'unknown option --bogus; the options are --help, --version'],
    [['migrate', 'up', '--folder'], 'option --folder needs a value: --folder <value>'],
    [['migrate', 'up', '--folder', '--allow-edited'], 'option --folder needs a value, and the word after it starts with "-"; for such a value write --folder=<value>'],
    [['migrate', 'create', 'x', '--ts=yes'], 'option --ts takes no value'],
    [['migrate', 'up', '--ts'], 'option --ts does not apply to "migrate up"'],
    [['migrate', 'up', '--ts=1'], 'option --ts does not apply to "migrate up"'],
    [['check', '--key'], 'option --key does not apply to "check"'],
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

describe('a connection URL given where an argument goes is never echoed', () => {
  const secret = 'postgres://u:SECRET@h/db'
  test.each([
    [['migrate', 'up', secret], 'unexpected argument (a URL: did you mean --url?)'],
    [['migrate', 'status', 'extra', secret], 'unexpected argument (a URL: did you mean --url?)'],
    [['check', secret], 'unexpected argument (a URL: did you mean --url?)'],
    [['check', 'postgresql://u:SECRET@h/db?sslmode=require'], 'unexpected argument (a URL: did you mean --url?)'],
    [['history', 'rates', secret], 'unexpected argument (a URL: did you mean --url?)'],
    [['history', secret], 'the table is missing, and a URL was given in its place (did you mean --url?)'],
    [['migrate', 'create', 'x', secret], 'unexpected argument (a URL: did you mean --url?)'],
    [['migrate', 'create', secret], 'invalid migration name (a URL: did you mean --url?)'],
    [['migrate', secret], 'unknown migrate command (a URL: did you mean --url?)'],
    [[secret], 'unknown command (a URL: did you mean --url?)'],
    [['check', 'u:SECRET@h/db'], 'unexpected argument (a URL: did you mean --url?)'],
  ])('%j', (argv, message) => {
    let error: unknown
    try {
      parseCommand(argv)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).message).toBe(message)
    expect((error as UsageError).message).not.toContain('SECRET')
  })

  test('nor printed by the CLI', async () => {
    const run = await cli(['migrate', 'up', secret])
    expect(run.code).toBe(2)
    expect(run.stderr).toBe("bitemporal: unexpected argument (a URL: did you mean --url?)\nRun 'bitemporal migrate up --help' for usage.\n")
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

  test('a usage error exits 2 with the one line that says what is wrong and where the help is, not the help itself', async () => {
    expect(await cli(['migrate', 'sideways'])).toEqual({
      code: 2,
      stdout: '',
      stderr: `bitemporal: unknown migrate command "sideways"\nRun 'bitemporal migrate --help' for usage.\n`,
    })
    expect(await cli([])).toEqual({ code: 2, stdout: '', stderr: `bitemporal: missing command: migrate, history, diff or check\nRun 'bitemporal --help' for usage.\n` })
  })

  test("an unknown option gets the library's message, naming the command's options, not Node's parseArgs text", async () => {
    const run = await cli(['migrate', 'up', '--allow-edit'])
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'bitemporal: unknown option --allow-edit for "migrate up"; the options are --folder, --url, --schema, --table, --allow-edited, --help\n' +
        "Run 'bitemporal migrate up --help' for usage.\n",
    })
  })

  test('every help a usage error points to is a command line that prints that help', () => {
    const usages = [MAIN_USAGE, MIGRATE_USAGE, HISTORY_USAGE, CHECK_USAGE, ...Object.values(ACTION_USAGE)]
    expect(usages.map(helpCommand)).toEqual([
      'bitemporal --help',
      'bitemporal migrate --help',
      'bitemporal history --help',
      'bitemporal check --help',
      'bitemporal migrate up --help',
      'bitemporal migrate down --help',
      'bitemporal migrate status --help',
      'bitemporal migrate create --help',
    ])
    for (const usage of usages) {
      const [program, ...argv] = helpCommand(usage).split(' ')
      expect(program).toBe('bitemporal')
      expect(parseCommand(argv)).toEqual({ kind: 'help', text: usage })
    }
  })

  test('no URL exits 2 and says how to give one', async () => {
    const run = await cli(['migrate', 'up'], { env: { DATABASE_URL: '' } })
    expect(run.code).toBe(2)
    expect(run.stderr).toBe(`bitemporal: no database: set DATABASE_URL or pass --url <url>\nRun 'bitemporal migrate up --help' for usage.\n`)
  })

  test.each<[string, { env?: Record<string, string>; args?: string[] }, string]>([
    ['DATABASE_URL=not-a-url', { env: { DATABASE_URL: 'not-a-url' } }, 'DATABASE_URL is not a PostgreSQL URL: write it as postgres://user:password@host:5432/database'],
    ['DATABASE_URL=host:5432/app', { env: { DATABASE_URL: 'db.internal:5432/app' } }, 'DATABASE_URL is not a PostgreSQL URL'],
    ['a mysql:// DATABASE_URL', { env: { DATABASE_URL: 'mysql://app:s3cret-pw@db.internal:3306/app' } }, 'DATABASE_URL is a mysql:// URL, not a PostgreSQL URL: bitemporal works on PostgreSQL only'],
    ['a mysql:// --url', { args: ['--url', 'mysql://app:s3cret-pw@db.internal:3306/app'] }, '--url is a mysql:// URL, not a PostgreSQL URL'],
  ])('%s is refused before any connection, exit 2, never echoing the URL', async (_, given, says) => {
    for (const command of [['migrate', 'status'], ['check'], ['history', 'rates', '--key', '{"id":1}']]) {
      const run = await cli([...command, ...(given.args ?? [])], { env: given.env ?? {} })
      expect(run.code).toBe(2)
      expect(run.stderr).toContain(`bitemporal: ${says}`)
      expect(run.stderr).toMatch(/\nRun 'bitemporal (migrate status|check|history) --help' for usage\.\n$/)
      expect(run.stderr).not.toMatch(/s3cret-pw|db\.internal|not-a-url|cannot connect/)
    }
  })

  test.each([
    ['postgresql://', 'postgresql://someone@127.0.0.1:1/nowhere', 'cannot connect to PostgreSQL at 127.0.0.1:1'],
    ['a Unix socket as the host parameter', 'postgres:///nowhere?host=/nonexistent-socket-dir', 'cannot connect to PostgreSQL at /nonexistent-socket-dir:5432'],
  ])('a PostgreSQL URL (%s) is taken, and only the connection fails (exit 1)', async (_, url, says) => {
    const run = await cli(['migrate', 'status'], { env: { DATABASE_URL: url } })
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(says)
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
