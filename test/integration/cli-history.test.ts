import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { install } from '../../src/install/install.js'
import { renderHistory } from '../../src/render/index.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import type { Repository } from '../../src/repository/repository.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { type CliRun, capturedCli, outputSections, tableCells } from '../support/captured-cli.js'
import { useTestDatabase } from '../support/database.js'
import { microsecondBefore } from '../support/timeline-model.js'

// `bitemporal history` on the tax-rate story of docs/semantics.md §3, written
// through the repository into a schema-qualified table.

const database = useTestDatabase()

const taxRates = defineTable({
  name: 'billing.tax_rates',
  key: { state_id: 'integer', tax_type: 'text' },
  values: { rate: 'numeric not null' },
})

const key = { state_id: 1, tax_type: 'income_tax' }
const KEY = JSON.stringify(key)

let repository: Repository<typeof taxRates>
/** T1…T4: the system time of each step of the story. */
const T: string[] = []
let folder: string

beforeAll(async () => {
  const { db } = database()
  await install(db)
  await sql`create schema billing`.execute(db)
  await createTable(db, taxRates)
  await sql`create table plain_rates (id integer)`.execute(db)
  repository = bitemporal(db, taxRates)
  for (const [from, rate] of [['2023-01-01', '0.15'], ['2023-01-01', '0.19'], ['2022-12-01', '0.14'], ['2023-02-01', '0.25']] as const) {
    const { systemTime } = await repository.set(key, { from }, { rate })
    if (systemTime === null) throw new Error('a step of the story wrote nothing')
    T.push(systemTime)
  }
  folder = await mkdtemp(join(tmpdir(), 'bitemporal-cli-history-'))
})

afterAll(async () => {
  await rm(folder, { recursive: true, force: true })
})

function history(...args: string[]): Promise<CliRun> {
  return capturedCli(['history', ...args], { DATABASE_URL: database().url }, folder)
}

/** The story's rows of one table of the output: rate, effective from/to, system from/to as T1…T4, knowledge. */
function specRows(lines: readonly string[] | undefined): string[][] {
  if (lines === undefined) throw new Error('the section is missing from the output')
  const [header, ...rows] = tableCells(lines)
  expect(header).toEqual(['state_id', 'tax_type', 'rate', 'effective from', 'effective to', 'system from', 'system to', 'knowledge'])
  return rows.map((cells) => {
    expect(cells.slice(0, 2)).toEqual(['1', 'income_tax'])
    const name = (instant: string | undefined): string => (instant === '-' ? '-' : `T${String(T.indexOf(instant ?? '') + 1)}`)
    return [cells[2] ?? '', cells[3] ?? '', cells[4] ?? '', name(cells[5]), name(cells[6]), cells[7] ?? '']
  })
}

describe('bitemporal history', () => {
  test('prints the current timeline, the full history as docs/semantics.md §3 tabulates it, and the text diagram', async () => {
    const run = await history('billing.tax_rates', '--key', KEY)
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    const sections = outputSections(run.stdout)
    expect([...sections.keys()][0]).toBe('billing.tax_rates  state_id=1 tax_type=income_tax')
    expect(specRows(sections.get('Timeline as known now (current knowledge), by effective start:'))).toEqual([
      ['0.14', '2022-12-01', '2023-01-01', 'T3', '-', 'current'],
      ['0.19', '2023-01-01', '2023-02-01', 'T4', '-', 'current'],
      ['0.25', '2023-02-01', '-', 'T4', '-', 'current'],
    ])
    // Step 4 of the story, row for row (ties in system start ordered by effective start).
    expect(specRows(sections.get('History, every version ever recorded, by system start:'))).toEqual([
      ['0.15', '2023-01-01', '-', 'T1', 'T2', 'superseded'],
      ['0.19', '2023-01-01', '-', 'T2', 'T4', 'superseded'],
      ['0.14', '2022-12-01', '2023-01-01', 'T3', '-', 'current'],
      ['0.19', '2023-01-01', '2023-02-01', 'T4', '-', 'current'],
      ['0.25', '2023-02-01', '-', 'T4', '-', 'current'],
    ])
    expect(run.stdout.endsWith(`\n${renderHistory(await repository.history(key), { format: 'text' }).replace(/\n*$/, '\n')}`)).toBe(true)
  })

  test('--valid-at adds the version valid then, as asOf', async () => {
    const run = await history('billing.tax_rates', '--key', KEY, '--valid-at', '2023-05-01')
    expect(run.code).toBe(0)
    expect(specRows(outputSections(run.stdout).get('Valid at 2023-05-01 as known now (current knowledge):'))).toEqual([
      ['0.25', '2023-02-01', '-', 'T4', '-', 'current'],
    ])
    const none = await history('billing.tax_rates', '--key', KEY, '--valid-at', '2022-11-30')
    expect(outputSections(none.stdout).get('Valid at 2022-11-30 as known now (current knowledge):')).toEqual(['(none)'])
  })

  test('--known-at before the correction shows the old rate; after it, the corrected one', async () => {
    const t1 = T[0] ?? ''
    const t2 = T[1] ?? ''
    const before = await history('billing.tax_rates', '--key', KEY, '--known-at', t1, '--valid-at', '2023-01-15')
    expect(before.code).toBe(0)
    const sections = outputSections(before.stdout)
    expect(specRows(sections.get(`Timeline as known at ${t1}, by effective start:`))).toEqual([['0.15', '2023-01-01', '-', 'T1', 'T2', 'superseded']])
    expect(specRows(sections.get(`Valid at 2023-01-15 as known at ${t1}:`))).toEqual([['0.15', '2023-01-01', '-', 'T1', 'T2', 'superseded']])
    // The history does not depend on --known-at.
    expect(specRows(sections.get('History, every version ever recorded, by system start:'))).toHaveLength(5)

    const after = await history('billing.tax_rates', '--key', KEY, '--known-at', t2, '--valid-at', '2023-01-15')
    expect(specRows(outputSections(after.stdout).get(`Valid at 2023-01-15 as known at ${t2}:`))).toEqual([['0.19', '2023-01-01', '-', 'T2', 'T4', 'superseded']])

    // The shoe-store question: just before T1 the system held nothing.
    const justBefore = microsecondBefore(t1)
    const earlier = await history('billing.tax_rates', '--key', KEY, '--known-at', justBefore)
    expect(outputSections(earlier.stdout).get(`Timeline as known at ${justBefore}, by effective start:`)).toEqual(['(none)'])
  })

  test('--known-at takes a day as its start in UTC', async () => {
    const run = await history('billing.tax_rates', '--key', KEY, '--known-at', '2000-01-01')
    expect(run.code).toBe(0)
    expect(outputSections(run.stdout).get('Timeline as known at 2000-01-01T00:00:00Z, by effective start:')).toEqual(['(none)'])
  })

  test('--svg writes the SVG diagram of the history, relative to the working directory', async () => {
    const run = await history('billing.tax_rates', '--key', KEY, '--svg', 'story.svg')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('\nwrote story.svg\n')
    const svg = await readFile(join(folder, 'story.svg'), 'utf8')
    expect(svg).toMatch(/^(<\?xml[^>]*>\s*)?<svg[\s>]/)
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true)
    expect(svg).toBe(renderHistory(await repository.history(key), { format: 'svg' }))
  })

  test('a key with no versions prints empty tables, not an error', async () => {
    const run = await history('billing.tax_rates', '--key', '{"state_id":2,"tax_type":"income_tax"}')
    expect(run.code).toBe(0)
    expect(outputSections(run.stdout).get('History, every version ever recorded, by system start:')).toEqual(['(none)'])
  })
})

describe('bitemporal history: errors name what to fix and exit 2', () => {
  test.each([
    ['an unknown table, listing the registered ones', ['tax_rates', '--key', KEY], /^bitemporal: table "tax_rates" is not a registered bitemporal table \(there is no such table\); registered: billing\.tax_rates\n/],
    ['a plain table', ['plain_rates', '--key', KEY], /^bitemporal: table "plain_rates" is not a registered bitemporal table \(it exists but is not a bitemporal table\); registered: billing\.tax_rates\n/],
    ['a malformed table name', ['billing.tax-rates', '--key', KEY], /^bitemporal: "billing\.tax-rates" is not a table name \(table "tax-rates" is not a plain identifier: use letters, digits and underscores/],
    ['a missing --key', ['billing.tax_rates'], /^bitemporal: missing --key: give the key as JSON, e\.g\. --key '\{"state_id":1,"tax_type":"income_tax"\}'\n/],
    ['--key that is not JSON', ['billing.tax_rates', '--key', '{state_id:1}'], /^bitemporal: --key is not valid JSON \(.+\); write it like '\{"state_id":1,"tax_type":"income_tax"\}'\n/],
    ['--key that is not an object', ['billing.tax_rates', '--key', '[1,"income_tax"]'], /^bitemporal: --key must be a JSON object of key column to value/],
    ['--key with a column that is not a key column', ['billing.tax_rates', '--key', '{"state_id":1,"tax":"income_tax"}'], /^bitemporal: --key: "tax" is not a key column of "billing\.tax_rates"; the key is \{ state_id, tax_type \}/],
    ['--key missing a key column', ['billing.tax_rates', '--key', '{"state_id":1}'], /^bitemporal: --key: key column "tax_type" of "billing\.tax_rates" is missing \[key columns: state_id \(integer\), tax_type \(text\)\]\n/],
    ['--key with a value of the wrong type', ['billing.tax_rates', '--key', '{"state_id":"1","tax_type":"income_tax"}'], /^bitemporal: --key: value of column "state_id" of "billing\.tax_rates" must be an integer \(32-bit\), got "1"/],
    ['--valid-at that is not a day', ['billing.tax_rates', '--key', KEY, '--valid-at', '2023-02-30'], /^bitemporal: --valid-at must be a date 'YYYY-MM-DD' that exists, got "2023-02-30"\n/],
    ['--valid-at with a time on a table of days', ['billing.tax_rates', '--key', KEY, '--valid-at', '2023-05-01T00:00:00Z'], /^bitemporal: --valid-at: billing\.tax_rates has valid time in days; give a day YYYY-MM-DD/],
    ['--known-at without a time zone', ['billing.tax_rates', '--key', KEY, '--known-at', '2023-10-17T09:30:00'], /^bitemporal: --known-at must be an ISO 8601 time with Z or an offset/],
    ['--known-at that does not exist', ['billing.tax_rates', '--key', KEY, '--known-at', '2023-02-30'], /^bitemporal: --known-at must be a date 'YYYY-MM-DD' that exists, got "2023-02-30"\n/],
    ['an option of another command', ['billing.tax_rates', '--key', KEY, '--folder', 'x'], /^bitemporal: option --folder does not apply to "history"/],
  ])('%s', async (_, args, message) => {
    const run = await history(...args)
    expect(run.stderr).toMatch(message)
    expect(run.stderr).toMatch(/\nRun 'bitemporal history --help' for usage\.\n$/)
    expect(run.stderr).not.toContain('Usage:')
    expect(run.stdout).toBe('')
    expect(run.code).toBe(2)
  })

  test('a server that cannot be reached exits 1, naming host and port', async () => {
    const url = new URL(database().url)
    url.pathname = '/no_such_database_for_cli_history'
    const run = await capturedCli(['history', 'billing.tax_rates', '--key', KEY, '--url', url.href], {})
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(new RegExp(`^error: cannot connect to PostgreSQL at ${url.hostname}:${url.port || '5432'} \\(database "no_such_database_for_cli_history"`))
  })

  test('no database URL is a usage error', async () => {
    const run = await capturedCli(['history', 'billing.tax_rates', '--key', KEY], {})
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/^bitemporal: no database: set DATABASE_URL or pass --url <url>\n/)
  })
})

describe('a table read from its registered definition, not guessed from its columns', () => {
  test('value columns named like the audit columns on a table without audit', async () => {
    const { db } = database()
    // Guessing from the columns took these for the audit columns and could not read the table.
    const notes = defineTable({
      name: 'review_notes',
      key: { id: 'integer' },
      values: { recorded_by: 'text', recorded_reason: 'text', closed_by: 'text', closed_reason: 'text' },
    })
    await createTable(db, notes)
    await bitemporal(db, notes).set({ id: 1 }, { from: '2024-01-01' }, { recorded_by: 'ann', recorded_reason: 'r', closed_by: 'bob', closed_reason: 'c' })
    const run = await history('review_notes', '--key', '{"id": 1}')
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^review_notes {2}id=1\n\nTimeline .*\nid {2}recorded_by {2}recorded_reason {2}closed_by {2}closed_reason {2}effective from/)
    expect(run.stdout).toMatch(/^1 {3}ann {10}r {16}bob {8}c {14}2024-01-01 /m)
  })
})
