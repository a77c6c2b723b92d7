import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { capturedCli } from '../support/captured-cli.js'
import { runTsxScript, type ScriptRun } from '../support/run-tsx-script.js'
import { describe, expect, inject, it } from 'vitest'

// `npm run demo` as a user runs it: a child process (tsx), here with
// DATABASE_URL pointing at the test server, so it makes and drops a database
// of its own there instead of starting an embedded PostgreSQL.

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

function runDemo(env: Record<string, string | undefined>, args: readonly string[] = []): Promise<ScriptRun> {
  return runTsxScript(ROOT, 'scripts/demo/main.ts', args, { BITEMPORAL_TEST_CONTAINER: undefined, BITEMPORAL_DEBUG: undefined, ...env })
}

function testServerUrl(): string {
  const url = inject('bitemporalTestUrl') as string | undefined
  if (url === undefined) throw new Error('no test server: run this file in the integration project')
  return url
}

/** The text between a heading line and the next heading (a line followed by a line of dashes). */
function section(output: string, heading: string): string {
  const lines = output.split('\n')
  const start = lines.findIndex((line, i) => line.startsWith(heading) && /^-+$/.test(lines[i + 1] ?? ''))
  if (start < 0) throw new Error(`no section "${heading}" in the demo's output:\n${output}`)
  let end = lines.findIndex((line, i) => i > start + 1 && /^-+$/.test(lines[i + 1] ?? '') && line !== '')
  if (end < 0) end = lines.length
  return lines.slice(start, end).join('\n')
}

/** The history rows the demo printed in a section: rate, effective from, to, system from, to, status. */
function historyRows(text: string): string[][] {
  return text
    .split('\n')
    .map((line) => /^ {4}(\d\.\d+)\s+(\d{4}-\d{2}-\d{2})\s+(\S+)\s+(T\d)\s+(\S+)\s+(current|superseded)$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => match.slice(1))
}

/** The first word after `call` on the line that has it: the rate a read printed. */
function rateOf(text: string, call: string): string | undefined {
  const line = text.split('\n').find((candidate) => candidate.includes(call))
  return line?.slice(line.indexOf(call) + call.length).trim().split(/\s+/)[0]
}

/** The lines under "renderHistory(…):" up to the next blank line. */
function diagram(text: string): string {
  const lines = text.split('\n')
  const start = lines.findIndex((line) => line.includes("renderHistory(history, { format: 'text' }):"))
  if (start < 0) return ''
  const end = lines.findIndex((line, i) => i > start && line.trim() === '')
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n')
}

describe('npm run demo', () => {
  it('tells the story on DATABASE_URL: the story table after each step, a diagram, the reads and the shoe store; exits 0 and drops its database', async () => {
    const url = testServerUrl()
    const { code, stdout, stderr } = await runDemo({ DATABASE_URL: url })
    expect(stderr).toBe('')
    expect(code).toBe(0)

    // The table of docs/semantics.md §3 after each step, with T1…T4 as the demo names the returned system times.
    expect(historyRows(section(stdout, 'Step 1 - first change'))).toEqual([['0.15', '2023-01-01', '∞', 'T1', '∞', 'current']])
    expect(historyRows(section(stdout, 'Step 2 - correction'))).toEqual([
      ['0.15', '2023-01-01', '∞', 'T1', 'T2', 'superseded'],
      ['0.19', '2023-01-01', '∞', 'T2', '∞', 'current'],
    ])
    expect(historyRows(section(stdout, 'Step 3 - past change'))).toEqual([
      ['0.15', '2023-01-01', '∞', 'T1', 'T2', 'superseded'],
      ['0.19', '2023-01-01', '∞', 'T2', '∞', 'current'],
      ['0.14', '2022-12-01', '2023-01-01', 'T3', '∞', 'current'],
    ])
    expect(historyRows(section(stdout, 'Step 4 - future change'))).toEqual([
      ['0.15', '2023-01-01', '∞', 'T1', 'T2', 'superseded'],
      ['0.19', '2023-01-01', '∞', 'T2', 'T4', 'superseded'],
      ['0.14', '2022-12-01', '2023-01-01', 'T3', '∞', 'current'],
      ['0.19', '2023-01-01', '2023-02-01', 'T4', '∞', 'current'],
      ['0.25', '2023-02-01', '∞', 'T4', '∞', 'current'],
    ])
    // Each step's write, with the rate it sets.
    for (const [heading, rate] of [
      ['Step 1 - first change', '0.15'],
      ['Step 2 - correction', '0.19'],
      ['Step 3 - past change', '0.14'],
      ['Step 4 - future change', '0.25'],
    ] as const) {
      expect(section(stdout, heading)).toContain(`{ rate: '${rate}' })`)
    }

    // A picture of the history after every step.
    for (const [heading, shown, notYet] of [
      ['Step 1 - first change', ['0.15'], ['0.19', '0.14', '0.25']],
      ['Step 2 - correction', ['0.15', '0.19'], ['0.14', '0.25']],
      ['Step 3 - past change', ['0.15', '0.19', '0.14'], ['0.25']],
      ['Step 4 - future change', ['0.15', '0.19', '0.14', '0.25'], []],
    ] as const) {
      const picture = diagram(section(stdout, heading))
      expect(picture.split('\n').length, `diagram of ${heading}`).toBeGreaterThan(5)
      expect(picture, `diagram of ${heading}`).toContain('valid time')
      for (const rate of shown) expect(picture, `diagram of ${heading}`).toContain(`rate ${rate}`)
      for (const rate of notYet) expect(picture, `diagram of ${heading}`).not.toContain(`rate ${rate}`)
    }

    const reads = section(stdout, 'Reads after step 4')
    expect(rateOf(reads, "rates.asOf(key, { validAt: '2023-05-01' })")).toBe('0.25')
    expect(rateOf(reads, "rates.asOf(key, { validAt: '2022-11-30' })")).toBe('none')
    expect(rateOf(reads, "rates.asOf(key, { validAt: '2023-01-15', knownAt: T1 })")).toBe('0.15')
    expect(rateOf(reads, "rates.asOf(key, { validAt: '2023-01-15', knownAt: T2 })")).toBe('0.19')
    expect(rateOf(reads, "rates.asOf(key, { validAt: '2023-01-15', knownAt: T1 - 1µs })")).toBe('none')

    const shoes = section(stdout, 'The shoe-store question')
    expect(rateOf(shoes, "rates.asOf(key, { validAt: '2023-01-15', knownAt: T2 - 1µs })")).toBe('0.15')
    expect(rateOf(shoes, "rates.asOf(key, { validAt: '2023-01-15' })")).toBe('0.19')
    expect(rateOf(shoes, "rates.asOf(key, { validAt: '2023-01-15', knownAt: T1 - 1µs })")).toBe('none')

    // It said which database it made, and that database is gone.
    const name = /in the database (bitemporal_demo_[0-9a-f]+)/.exec(stdout)?.[1]
    expect(name).toBeDefined()
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      const { rows } = await client.query('select 1 from pg_database where datname = $1', [name])
      expect(rows).toEqual([])
    } finally {
      await client.end()
    }
  })

  it('keeps its database with --keep and says how to look at it', async () => {
    const url = testServerUrl()
    const { code, stdout, stderr } = await runDemo({ DATABASE_URL: url }, ['--keep'])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const name = /Kept the database (bitemporal_demo_[0-9a-f]+)/.exec(stdout)?.[1]
    expect(name).toBeDefined()
    expect(stdout).toContain(`npx bitemporal history tax_rates --key '{"state_id":1,"tax_type":"income_tax"}'`)
    const admin = new pg.Client({ connectionString: url })
    await admin.connect()
    try {
      const kept = new URL(url)
      kept.pathname = `/${name ?? ''}`
      const client = new pg.Client({ connectionString: kept.href })
      await client.connect()
      try {
        const { rows } = await client.query<{ rate: string }>('select rate::text from tax_rates where upper_inf(system) order by lower(effective)')
        expect(rows.map((row) => row.rate)).toEqual(['0.14', '0.19', '0.25'])
        // Issue 5: the CLI works against the demo's tables.
        const history = await capturedCli(['history', 'tax_rates', '--key', '{"state_id":1,"tax_type":"income_tax"}', '--valid-at', '2023-05-01'], {
          DATABASE_URL: kept.href,
        })
        expect(history.stderr).toBe('')
        expect(history.code).toBe(0)
        for (const rate of ['0.14', '0.15', '0.19', '0.25']) expect(history.stdout).toContain(rate)
        const check = await capturedCli(['check'], { DATABASE_URL: kept.href })
        expect(check.code).toBe(0)
        expect(check.stdout).toContain('tax_rates: ok')
      } finally {
        await client.end()
      }
    } finally {
      await admin.query(`drop database if exists ${admin.escapeIdentifier(name ?? 'none')} with (force)`)
      await admin.end()
    }
  })

  it('fails with exit code 1 and says what to check when DATABASE_URL points at no server', async () => {
    const { code, stdout, stderr } = await runDemo({ DATABASE_URL: 'postgres://demo:secret-password@127.0.0.1:1/postgres' })
    expect(code).toBe(1)
    expect(stderr).toContain('bitemporal demo failed while connecting to the PostgreSQL at DATABASE_URL')
    expect(stderr).toContain('ECONNREFUSED')
    expect(stderr).toContain('Check DATABASE_URL')
    expect(stdout + stderr).not.toContain('secret-password')
  })

  it('refuses --keep without DATABASE_URL with exit code 2, before starting anything', async () => {
    const { code, stdout, stderr } = await runDemo({ DATABASE_URL: undefined }, ['--keep'])
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toContain('--keep needs DATABASE_URL')
  })

  it('tells the same story on PGlite with --pglite (no server: DATABASE_URL is ignored), and refuses --pglite with --keep', async () => {
    // DATABASE_URL points at no server: a demo that used it would fail.
    const { code, stdout, stderr } = await runDemo({ DATABASE_URL: 'postgres://demo@127.0.0.1:1/postgres' }, ['--pglite'])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toContain('PGlite in this process')
    expect(historyRows(section(stdout, 'Step 4 - future change'))).toEqual([
      ['0.15', '2023-01-01', '∞', 'T1', 'T2', 'superseded'],
      ['0.19', '2023-01-01', '∞', 'T2', 'T4', 'superseded'],
      ['0.14', '2022-12-01', '2023-01-01', 'T3', '∞', 'current'],
      ['0.19', '2023-01-01', '2023-02-01', 'T4', '∞', 'current'],
      ['0.25', '2023-02-01', '∞', 'T4', '∞', 'current'],
    ])
    const reads = section(stdout, 'Reads after step 4')
    expect(rateOf(reads, "rates.asOf(key, { validAt: '2023-01-15', knownAt: T1 })")).toBe('0.15')
    expect(rateOf(reads, "rates.asOf(key, { validAt: '2023-01-15', knownAt: T1 - 1µs })")).toBe('none')
    const refused = await runDemo({}, ['--pglite', '--keep'])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('--pglite takes no other argument')
  })
})
