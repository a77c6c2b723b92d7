import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, relative } from 'node:path'
import { Kysely, PostgresDialect } from 'kysely'
import ts from 'typescript'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { type AnyKysely, createTable, install } from '../../src/index.js'
import { taxRates } from '../support/docs-example-scope.js'
import { capturedCli } from '../support/captured-cli.js'
import {
  type DocExample,
  docFiles,
  EXAMPLES_DIR,
  examplesOf,
  maskSystemTimes,
  PROJECT_DOCS,
  projectDir,
  projectFiles,
  readDoc,
  ROOT,
  runExampleModule,
  shellCommands,
  tsBlocks,
  writeExample,
  writeProject,
} from '../support/docs-examples.js'

// Runs every ```ts block of docs/api.md and docs/recipes/*.md against a real
// database, and typechecks them; the convention is in
// test/support/docs-examples.ts and at the top of docs/api.md. The project
// pages (docs/getting-started.md) run as pasted: their files on an empty
// database, then the `bitemporal` commands they show.

const adminUrl = (): string => {
  const url = inject('bitemporalTestUrl') as string | undefined
  if (url === undefined) throw new Error('no test server: run this file in the integration project')
  return url
}

function urlOf(database: string): string {
  const url = new URL(adminUrl())
  url.pathname = `/${database}`
  return url.href
}

async function admin(statement: (client: pg.Client) => string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl() })
  await client.connect()
  try {
    await client.query(statement(client))
  } finally {
    await client.end()
  }
}

const template = `bitemporal_docs_template_${randomBytes(6).toString('hex')}`
const savedDatabaseUrl = process.env['DATABASE_URL']

beforeAll(async () => {
  rmSync(EXAMPLES_DIR, { recursive: true, force: true })
  // One database with the library installed and tax_rates created; each example gets a copy.
  await admin((c) => `create database ${c.escapeIdentifier(template)} template template0`)
  const db = kysely(urlOf(template))
  try {
    await install(db)
    await createTable(db, taxRates)
  } finally {
    await db.destroy()
  }
})

afterAll(async () => {
  if (savedDatabaseUrl === undefined) delete process.env['DATABASE_URL']
  else process.env['DATABASE_URL'] = savedDatabaseUrl
  await admin((c) => `drop database if exists ${c.escapeIdentifier(template)} with (force)`)
})

function kysely(url: string): AnyKysely {
  const pool = new pg.Pool({ connectionString: url, max: 5 })
  pool.on('error', () => {})
  return new Kysely({ dialect: new PostgresDialect({ pool }) })
}

/** Runs one example in a fresh copy of the template database, with DATABASE_URL pointing at it. */
async function run(example: DocExample, name: string): Promise<void> {
  const file = writeExample(example, name)
  const database = `bitemporal_docs_${randomBytes(6).toString('hex')}`
  await admin((c) => `create database ${c.escapeIdentifier(database)} template ${c.escapeIdentifier(template)}`)
  const db = kysely(urlOf(database))
  process.env['DATABASE_URL'] = urlOf(database)
  try {
    await runExampleModule(file, db)
  } finally {
    await db.destroy()
    await dropWhenIdle(database)
  }
}

/**
 * Drops a database once the connections of the example have gone. `pool.end()`
 * resolves before its clients' sessions end; dropping WITH (FORCE) at once
 * would terminate a session still closing, and an example's pool without an
 * error listener would throw that as an uncaught error.
 */
async function dropWhenIdle(database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl() })
  await client.connect()
  try {
    for (let attempt = 0; attempt < 100; attempt++) {
      const { rows } = await client.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where datname = $1', [database])
      if (rows[0]?.n === 0) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    await client.query(`drop database if exists ${client.escapeIdentifier(database)} with (force)`)
  } finally {
    await client.end()
  }
}

const files = docFiles()
const examples = files.flatMap((path) => examplesOf(path, readDoc(path)).map((example) => ({ path, example })))
const moduleName = (where: string): string => where.replace(/^docs\//, '').replace(/[^a-z0-9]+/gi, '_')

describe('the docs examples run', () => {
  it('finds examples in every doc file', () => {
    for (const path of files) expect(examplesOf(path, readDoc(path)).length, path).toBeGreaterThan(0)
  })

  for (const { example } of examples) {
    it(example.where, async () => {
      await run(example, moduleName(example.where))
    })
  }
})

/** A new database with nothing in it: not the template, so a page must make everything it uses. */
async function emptyDatabase(): Promise<string> {
  const database = `bitemporal_docs_${randomBytes(6).toString('hex')}`
  await admin((c) => `create database ${c.escapeIdentifier(database)} template template0`)
  return database
}

/**
 * Runs a project page as pasted: writes its files, imports them in page
 * order on an empty database, then runs the commands it shows and compares
 * what they print with the page.
 */
async function runProject(path: string, markdown: string, dir: string): Promise<void> {
  const files = projectFiles(path, markdown)
  const written = writeProject(files, dir)
  const database = await emptyDatabase()
  process.env['DATABASE_URL'] = urlOf(database)
  try {
    for (const [index, file] of written.entries()) {
      try {
        await import(/* @vite-ignore */ file)
      } catch (error) {
        throw new Error(`${files[index]?.where ?? path} (${files[index]?.path ?? file}) failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
      }
    }
    for (const command of shellCommands(path, markdown)) {
      const run = await capturedCli(command.argv, { DATABASE_URL: urlOf(database) })
      expect(maskSystemTimes(run.stdout + run.stderr), `${command.where}: $ ${command.line}`).toBe(maskSystemTimes(command.output))
      expect(run.code, `${command.where}: $ ${command.line}`).toBe(0)
    }
  } finally {
    await dropWhenIdle(database)
  }
}

describe('the project pages run as pasted', () => {
  for (const path of PROJECT_DOCS) {
    it(`${path}: its files run in order on an empty database, and its commands print what it shows`, async () => {
      const markdown = readDoc(path)
      expect(projectFiles(path, markdown).length).toBeGreaterThan(0)
      await runProject(path, markdown, projectDir(path))
    })
  }
})

describe('the docs examples typecheck', () => {
  it('tsc finds no error in any example, and finds the one in a deliberately broken one', async () => {
    for (const { example } of examples) writeExample(example, moduleName(example.where))
    for (const path of PROJECT_DOCS) writeProject(projectFiles(path, readDoc(path)), projectDir(path))
    // The runner must not let a stale or wrong example through: this one names an export that does not exist.
    writeExample({ where: 'broken', code: "import { noSuchExport } from 'bitemporal'\nawait noSuchExport(db)" }, 'zz_broken_on_purpose')
    writeFileSync(
      join(EXAMPLES_DIR, 'tsconfig.json'),
      JSON.stringify({
        extends: relative(EXAMPLES_DIR, join(ROOT, 'tsconfig.json')),
        // Examples read process.env.X as most code does; unused names are fine in a snippet.
        compilerOptions: { noUnusedLocals: false, noUnusedParameters: false, noPropertyAccessFromIndexSignature: false, noEmit: true },
        include: ['*.ts', '*/**/*.ts'],
      }),
    )
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [tsc, '-p', join(EXAMPLES_DIR, 'tsconfig.json'), '--pretty', 'false'], { cwd: ROOT })
      let text = ''
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
      child.on('error', reject)
      child.on('close', () => {
        resolve(text)
      })
    })
    const errors = output.split('\n').filter((line) => /error TS\d+/.test(line))
    expect(errors.filter((line) => !line.includes('zz_broken_on_purpose')), output).toEqual([])
    expect(errors.some((line) => line.includes('zz_broken_on_purpose') && line.includes('noSuchExport'))).toBe(true)
  })
})

describe('docs/api.md', () => {
  it('names every export of bitemporal and bitemporal/testing, types included', () => {
    const entries = [join(ROOT, 'src', 'index.ts'), join(ROOT, 'src', 'testing', 'index.ts')]
    const program = ts.createProgram(entries, { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true })
    const checker = program.getTypeChecker()
    const exported = entries.flatMap((entry) => {
      const source = program.getSourceFile(entry)
      const module = source === undefined ? undefined : checker.getSymbolAtLocation(source)
      return module === undefined ? [] : checker.getExportsOfModule(module).map((symbol) => symbol.getName())
    })
    expect(exported.length).toBeGreaterThan(50)
    const api = readDoc('docs/api.md')
    // Named in code: an inline code span or an example.
    const code = [...[...api.matchAll(/`([^`\n]+)`/g)].map((match) => match[1] ?? ''), ...tsBlocks(api).map((block) => block.code)].join('\n')
    expect(exported.filter((name) => !new RegExp(`\\b${name}\\b`).test(code))).toEqual([])
  })
})

describe('docs/errors.md', () => {
  it('explains every error code of src/errors/errors.ts, with what to do', () => {
    const source = readFileSync(join(ROOT, 'src', 'errors', 'errors.ts'), 'utf8')
    const union = /export type BitemporalErrorCode =([^;]*?)\n\n/.exec(source)?.[1] ?? ''
    const codes = [...union.matchAll(/'([A-Z_]+)'/g)].map((match) => match[1])
    expect(codes.length).toBeGreaterThanOrEqual(10)
    const rows = readDoc('docs/errors.md').split('\n').filter((line) => line.startsWith('| `'))
    for (const code of codes) {
      const row = rows.find((line) => line.startsWith(`| \`${code ?? ''}\` |`))
      expect(row, code).toBeDefined()
      // code, class, meaning, what to do: four filled cells
      expect(row?.split(' | ').filter((cell) => cell.trim() !== '').length, code).toBeGreaterThanOrEqual(4)
    }
  })
})

describe('the examples runner', () => {
  it('fails an example whose assertion does not hold', async () => {
    const example = {
      where: 'broken',
      code: [
        "import assert from 'node:assert/strict'",
        "import { bitemporal } from 'bitemporal'",
        'const rates = bitemporal(db, taxRates)',
        "await rates.set({ state_id: 1, tax_type: 'vat' }, { from: '2024-01-01' }, { rate: '0.2' })",
        "assert.equal((await rates.asOf({ state_id: 1, tax_type: 'vat' }, { validAt: '2024-06-01' }))?.values.rate, '0.3')",
      ].join('\n'),
    }
    await expect(run(example, 'zz_broken_assertion')).rejects.toThrow(/Expected values to be strictly equal/)
  })

  it('fails an example that throws, e.g. on a write the library refuses', async () => {
    const example = { where: 'broken', code: "import { bitemporal } from 'bitemporal'\nawait bitemporal(db, taxRates).set({ state_id: 1 } as never, { from: '2023-02-30' }, { rate: '1' })" }
    await expect(run(example, 'zz_broken_throws')).rejects.toThrow()
  })

  it('runs a project page with nothing given: a block that uses a schema no block creates fails', async () => {
    const page = (withSchema: boolean): string =>
      [
        '```ts',
        '// src/db.ts',
        "import { Kysely, PostgresDialect } from 'kysely'",
        "import pg from 'pg'",
        'export const db = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: process.env.DATABASE_URL }) }) })',
        '```',
        '```ts',
        '// src/main.ts',
        "import { createTable, defineTable, install } from 'bitemporal'",
        "import { db } from './db.js'",
        'try {',
        '  await install(db)',
        ...(withSchema ? ["  await db.schema.createSchema('billing').execute()"] : []),
        "  await createTable(db, defineTable({ name: 'billing.tax_rates', key: { id: 'integer' }, values: {} }))",
        '} finally {',
        '  await db.destroy()',
        '}',
        '```',
        '```text',
        '$ bitemporal check',
        'billing.tax_rates: ok (0 rows)',
        '1 table checked, all healthy',
        '```',
      ].join('\n')
    await expect(runProject('broken.md', page(false), join(EXAMPLES_DIR, 'zz_project_without_schema'))).rejects.toThrow(/broken\.md:7 \(src\/main\.ts\) failed: .*schema "billing" does not exist/)
    await runProject('whole.md', page(true), join(EXAMPLES_DIR, 'zz_project_with_schema'))
  })

  it('fails a project page whose command prints something else than it shows', async () => {
    const page = ['```text', '$ bitemporal check', 'all fine', '```'].join('\n')
    await expect(runProject('wrong.md', page, join(EXAMPLES_DIR, 'zz_project_wrong_output'))).rejects.toThrow(/wrong\.md:2: \$ bitemporal check/)
  })

  it('joins `continues` blocks into one example, skips `no-run`, and rejects unknown flags', () => {
    const markdown = ['```ts', 'const a = 1', '```', 'text', '```ts continues', 'assert.equal(a, 1)', '```', '```ts no-run', 'nope()', '```', '```sql', 'select 1', '```'].join('\n')
    expect(tsBlocks(markdown).map((b) => b.line)).toEqual([1, 5, 8])
    expect(examplesOf('x.md', markdown)).toEqual([{ where: 'x.md:1', code: 'const a = 1\nassert.equal(a, 1)' }])
    expect(() => examplesOf('x.md', '```ts norun\nx\n```')).toThrow(/unknown flag norun/)
  })
})
