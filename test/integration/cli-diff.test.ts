import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import type { Repository, WriteResult } from '../../src/repository/repository.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { type CliRun, capturedCli, tableCells } from '../support/captured-cli.js'
import { useTestDatabase } from '../support/database.js'

// `bitemporal diff`: issue 18's restatement report on the command line.

const database = useTestDatabase()

const taxRates = defineTable({
  name: 'cli_diff_rates',
  key: { state_id: 'integer', tax_type: 'text' },
  values: { rate: 'numeric not null' },
  audit: true,
})

const key = { state_id: 1, tax_type: 'income_tax' }
const other = { state_id: 2, tax_type: 'income_tax' }
let repository: Repository<typeof taxRates>
let closed: string
let corrected: string
let folder: string

function at(result: WriteResult): string {
  if (result.systemTime === null) throw new Error('a setup write changed nothing')
  return result.systemTime
}

beforeAll(async () => {
  const { db } = database()
  await install(db)
  await createTable(db, taxRates)
  repository = bitemporal(db, taxRates)
  await repository.set(key, { from: '2023-01-01' }, { rate: '0.15' }, { actor: 'alice' })
  closed = at(await repository.set(other, { from: '2023-01-01' }, { rate: '0.05' }, { actor: 'erin' }))
  corrected = at(await repository.update(key, { from: '2023-02-01', to: '2023-03-01' }, { rate: '0.19' }, { actor: 'bob', reason: 'typo' }))
  await repository.delete(other, { from: '2023-06-01' }, { actor: 'dave', reason: 'state left' })
  folder = await mkdtemp(join(tmpdir(), 'bitemporal-cli-diff-'))
})

afterAll(async () => {
  await rm(folder, { recursive: true, force: true })
})

function diff(...args: string[]): Promise<CliRun> {
  return capturedCli(['diff', ...args], { DATABASE_URL: database().url }, folder)
}

/** The table of the output, header first, after the heading and a blank line. */
function rows(run: CliRun): string[][] {
  const [heading, blank, ...lines] = run.stdout.trimEnd().split('\n')
  expect(heading).toContain('cli_diff_rates: as known at')
  expect(blank).toBe('')
  return tableCells(lines)
}

describe('bitemporal diff', () => {
  test('prints every key whose timeline changed since --before, values then and now, and who changed it and why', async () => {
    const run = await diff('cli_diff_rates', '--before', closed)
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout.split('\n')[0]).toBe(`cli_diff_rates: as known at ${closed} versus now (current knowledge)`)
    expect(rows(run)).toEqual([
      ['state_id', 'tax_type', 'effective from', 'effective to', 'change', 'rate before', 'rate after', 'changed by'],
      ['1', 'income_tax', '2023-02-01', '2023-03-01', 'changed', '0.15', '0.19', `${corrected} bob: typo`],
      ['2', 'income_tax', '2023-06-01', '-', 'removed', '0.05', '-', expect.stringMatching(/Z dave: state left$/) as unknown as string],
    ])
  })

  test('--after, --key and the valid-time window narrow it', async () => {
    const run = await diff('cli_diff_rates', '--before', closed, '--after', corrected, '--key', JSON.stringify(key), '--valid-from', '2023-02-15', '--valid-to', '2023-04-01')
    expect(run.code).toBe(0)
    expect(run.stdout.split('\n')[0]).toBe(`cli_diff_rates: as known at ${closed} versus as known at ${corrected}, valid time [2023-02-15, 2023-04-01)`)
    expect(rows(run).slice(1)).toEqual([['1', 'income_tax', '2023-02-15', '2023-03-01', 'changed', '0.15', '0.19', `${corrected} bob: typo`]])
  })

  test('says so when nothing differs', async () => {
    const run = await diff('cli_diff_rates', '--before', corrected, '--key', JSON.stringify(key))
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('\n\n(no differences)\n')
  })

  test('--svg writes the key diagram with the changed versions highlighted', async () => {
    const run = await diff('cli_diff_rates', '--before', closed, '--key', JSON.stringify(key), '--svg', 'diff.svg')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('wrote diff.svg\n')
    const svg = await readFile(join(folder, 'diff.svg'), 'utf8')
    expect(svg).toContain('<svg')
    expect(svg).toContain('changed in the diff')
  })
})

describe('bitemporal diff: errors name what to fix and exit 2', () => {
  test.each([
    ['no --before', ['cli_diff_rates'], 'missing --before'],
    ['no table', ['--before', '2023-01-01'], 'missing the table: bitemporal diff <table> --before <time>'],
    ['a --before that is not a time', ['cli_diff_rates', '--before', 'yesterday'], '--before'],
    ['--after not after --before', ['cli_diff_rates', '--before', '2023-01-02', '--after', '2023-01-01'], '--after (2023-01-01T00:00:00Z) must come after --before'],
    ['--svg without --key', ['cli_diff_rates', '--before', '2023-01-01', '--svg', 'x.svg'], '--svg draws one key: give --key too'],
    ['an option of history', ['cli_diff_rates', '--before', '2023-01-01', '--known-at', '2023-01-01'], 'option --known-at does not apply to "diff"'],
    ['a key that does not fit the table', ['cli_diff_rates', '--before', '2023-01-01', '--key', '{"state_id":1}'], 'tax_type'],
    ['a reversed window', ['cli_diff_rates', '--before', '2023-01-01', '--valid-from', '2023-02-01', '--valid-to', '2023-01-01'], 'reversed'],
  ])('%s', async (_, args, message) => {
    const run = await diff(...args)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain(message)
    expect(run.code).toBe(2)
  })

  test('diff --help prints its usage', async () => {
    const run = await capturedCli(['diff', '--help'], {})
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Usage: bitemporal diff <table> --before <time> [options]')
  })
})
