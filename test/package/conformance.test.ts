import { execFile } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'

// Issue 15, item 7: the driver conformance suite of test/conformance, run
// from the packed tarball in a fresh project per Kysely line (0.28, 0.29),
// installed with a plain `npm install` (no --legacy-peer-deps: the peer
// ranges of the library and of the dialects must take the line), once per
// driver (node-postgres, postgres.js, PGlite) in UTC, and once more per driver
// with the process TZ and the session TimeZone changed. docs/drivers.md says
// what it covers; concurrency tests stay in the integration suite, on servers.

const run = promisify(execFile)
const repository = resolve(import.meta.dirname, '../..')
const typescript = join(repository, 'node_modules/typescript/bin/tsc')

const KYSELY_LINES = ['0.28', '0.29'] as const
type KyselyLine = (typeof KYSELY_LINES)[number]
const DRIVERS = ['node-postgres', 'postgres-js', 'pglite'] as const

/**
 * What each line installs beside the tarball. kysely-postgres-js 5 wants
 * Kysely >= 0.29 and 3 takes both, so 0.28 projects pin ^3;
 * kysely-pglite-dialect takes every line.
 */
const PACKAGES: Record<KyselyLine, readonly string[]> = {
  '0.28': ['kysely@0.28', 'kysely-postgres-js@^3'],
  '0.29': ['kysely@0.29', 'kysely-postgres-js'],
}
const COMMON = ['pg', 'postgres', '@electric-sql/pglite', 'kysely-pglite-dialect', 'fast-check', '@types/pg', '@types/node@22']

/** Property-test runs per driver and line: few, so that CI stays fast; the integration suite runs the model at length. */
const MODEL_RUNS = '3'

let scratch = ''
let tarball = ''
const projectOf = (line: KyselyLine): string => join(scratch, `conformance-kysely-${line}`)

async function npm(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, maxBuffer: 16 * 1024 * 1024 })
  return stdout
}

/** A fresh project on `line` with the suite's files in the layout they have here, compiled by tsc in strict nodenext. */
async function makeProject(line: KyselyLine): Promise<void> {
  const project = projectOf(line)
  await mkdir(join(project, 'test/conformance'), { recursive: true })
  await mkdir(join(project, 'test/support'), { recursive: true })
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'conformance', private: true, type: 'module' }))
  await npm(project, 'install', '--prefer-offline', tarball, ...PACKAGES[line], ...COMMON)
  for (const file of await readdir(join(repository, 'test/conformance'))) {
    await copyFile(join(repository, 'test/conformance', file), join(project, 'test/conformance', file))
  }
  await copyFile(join(repository, 'test/support/timeline-model.ts'), join(project, 'test/support/timeline-model.ts'))
  await writeFile(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2023'], types: ['node'],
        exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, skipLibCheck: true, outDir: 'out', rootDir: '.',
      },
      include: ['test'],
    }),
  )
  await run(process.execPath, [typescript, '-p', project]).catch((error: unknown) => {
    throw new Error(`tsc failed in the ${line} project:\n${(error as { stdout?: string }).stdout ?? String(error)}`)
  })
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'bitemporal-conformance-'))
  const packed = await npm(repository, 'pack', '--json', '--pack-destination', scratch)
  const [info] = JSON.parse(packed.slice(packed.indexOf('['))) as { filename: string }[]
  if (info === undefined) throw new Error(`npm pack printed no result: ${packed}`)
  tarball = join(scratch, info.filename)
  // One after the other: two installs at once would fight over npm's cache on two cores.
  for (const line of KYSELY_LINES) await makeProject(line)
})

afterAll(async () => {
  if (scratch !== '') await rm(scratch, { recursive: true, force: true })
})

interface SuiteResult {
  readonly driver: string
  readonly kysely: string
  readonly sections: Record<string, string>
  readonly zone: { premise: { processOffsetMinutes: number; sessionTimeZone: string }; read: unknown }
  readonly writes: number
}

/** Runs the compiled suite in the project of `line` on `driver`, with `environment` added. */
async function runSuite(line: KyselyLine, driver: string, environment: Record<string, string>): Promise<SuiteResult> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'PGOPTIONS' && name !== 'TZ'))
  const { stdout } = await run(process.execPath, ['out/test/conformance/suite.js'], {
    cwd: projectOf(line),
    env: { ...inherited, DATABASE_URL: inject('bitemporalTestUrl'), CONFORMANCE_DRIVER: driver, ...environment },
    maxBuffer: 16 * 1024 * 1024,
  })
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as SuiteResult
}

const ALL_OK = { install: 'ok', story: 'ok', reads: 'ok', diff: 'ok', errors: 'ok', 'time zones': 'ok', 'analytics aggregate': 'ok' }

describe.each(KYSELY_LINES)('the conformance suite from the packed tarball, on kysely %s', (line) => {
  it.each(DRIVERS)('%s: story, reads, typed errors and the writes against the model, in UTC and in other zones alike', async (driver) => {
    const utc = await runSuite(line, driver, { TZ: 'UTC', CONFORMANCE_MODEL_RUNS: MODEL_RUNS })
    expect(utc.sections).toEqual({ ...ALL_OK, model: 'ok' })
    expect(utc.kysely.startsWith(`${line}.`)).toBe(true)
    expect(utc.writes).toBeGreaterThan(10)
    // docs/semantics.md §5: UTC+14 in the process, UTC+5:45 in the session, the same reads.
    const zoned = await runSuite(line, driver, { TZ: 'Pacific/Kiritimati', CONFORMANCE_SESSION_TIME_ZONE: 'Asia/Kathmandu', CONFORMANCE_MODEL_RUNS: '0' })
    expect(zoned.sections).toEqual(ALL_OK)
    expect(zoned.zone.premise).toEqual({ processOffsetMinutes: 14 * 60, sessionTimeZone: 'Asia/Kathmandu' })
    expect(utc.zone.premise.processOffsetMinutes).toBe(0)
    expect(zoned.zone.read).toEqual(utc.zone.read)
  })

  it('installed the library with a plain npm install beside that line', async () => {
    const installed = JSON.parse(await readFile(join(projectOf(line), 'node_modules/bitemporal/package.json'), 'utf8')) as { peerDependencies: Record<string, string> }
    expect(installed.peerDependencies['kysely']).toBeDefined()
  })
})
