import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OverlapError } from '../../src/errors/errors.js'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'
import {
  countDates,
  LONG_NUMERIC,
  normalise,
  runZoneScenario,
  type ScenarioResult,
  ZONE_KEY,
  zoneTable,
} from '../support/time-zone-scenario.js'

// docs/semantics.md §5: nothing depends on the process TZ, the session TimeZone and
// DateStyle, or the caller's pg type parsers. The same scenario
// (test/support/time-zone-scenario.ts) runs under each and must give the
// same result, with system times replaced by their rank T0..Tn.

const database = useTestDatabase()

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tables made by the tests
type Db = Kysely<any>

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const CHILD = fileURLToPath(new URL('../support/time-zone-child.ts', import.meta.url))

const pools: pg.Pool[] = []

type TypeId = Parameters<typeof pg.types.setTypeParser>[0]
type Parser = (value: string) => unknown
const builtin = pg.types.builtins
const garbage: Parser = () => 'GARBAGE'

/** The parser pg itself uses for `oid` right now. */
const globalParser = (oid: TypeId): Parser => pg.types.getTypeParser(oid, 'text') as Parser

/** A `types` setting for a pg.Pool: `parser(oid)`, or pg's own parser where it gives undefined. */
function poolTypes(parser: (oid: TypeId) => Parser | undefined): pg.CustomTypesConfig {
  const getTypeParser = (oid: TypeId): Parser => parser(oid) ?? globalParser(oid)
  return { getTypeParser: getTypeParser as typeof pg.types.getTypeParser }
}

/** A Kysely over a new pool of the test database with extra `pg.Pool` settings. */
function connect(config: pg.PoolConfig = {}): Db {
  const pool = new pg.Pool({ connectionString: database().url, max: 2, ...config })
  pool.on('error', () => {})
  pools.push(pool)
  return new Kysely({ dialect: new PostgresDialect({ pool }) })
}

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()))
})

let tables = 0
/** Creates a fresh table of the scenario's shape and returns its name. */
async function newTable(): Promise<string> {
  const name = `zone_${String(++tables)}`
  await createTable(database().db, zoneTable(name))
  return name
}

async function scenario(db: Db): Promise<ScenarioResult> {
  return runZoneScenario(bitemporal(db, zoneTable(await newTable())))
}

/** The scenario in the default session, and its table. */
let defaultResult: ScenarioResult
let defaultTable: string
/** Its normalised result, which every other run must reproduce. */
let reference: unknown

beforeAll(async () => {
  await install(database().db)
  defaultTable = await newTable()
  defaultResult = await runZoneScenario(bitemporal(database().db, zoneTable(defaultTable)))
  reference = normalise(defaultResult)
})

describe('the scenario in the default session', () => {
  it('gives the expected rows: UTC days for Date inputs, lossless numeric and bigint, text dates, UTC system times', () => {
    const result = defaultResult
    expect(countDates(result)).toBe(0)
    expect(result.writes.map((w) => w.systemTime === null)).toEqual([false, false, false, false, false, false, true])

    const timeline = result.reads['timeline'] as { key: unknown; values: Record<string, unknown>; effective: unknown }[]
    expect(timeline.map((v) => v.effective)).toEqual([
      { from: '2023-01-01', to: '2023-02-01' },
      { from: '2023-02-01', to: '2023-03-01' },
      { from: '2023-03-01', to: '2023-04-01' },
      { from: '2023-04-01', to: '2023-06-01' },
      { from: '2023-06-01', to: '2023-06-15' },
      { from: '2023-07-01', to: null },
    ])
    for (const version of timeline) expect(version.key).toEqual(ZONE_KEY)
    const arrays = { days: ['2023-01-31', null], instants: ['2023-01-01T00:00:00.000001Z'], locals: ['2023-01-01T23:00:00.000000'] }
    const noArrays = { days: null, instants: null, locals: null }
    expect(timeline.map((v) => v.values)).toEqual([
      { rate: LONG_NUMERIC, starts: '2023-01-01', at: '2023-01-01T00:00:00.123456Z', local: '2023-01-01T00:00:00.500000', flag: true, count: 1, ...arrays },
      { rate: '0.3', starts: '2023-01-01', at: '2023-02-15T06:15:00.000000Z', local: '2023-01-01T00:00:00.500000', flag: true, count: 3, ...arrays },
      { rate: '0.3', starts: '2023-03-01', at: '2023-03-01T17:45:00.000000Z', local: '2023-03-01T23:30:00.000000', flag: false, count: 2, ...noArrays },
      { rate: '0.2', starts: '2023-03-01', at: '2023-03-01T17:45:00.000000Z', local: '2023-03-01T23:30:00.000000', flag: false, count: 2, ...noArrays },
      { rate: '-12345678901234567890.123456789', starts: '2023-06-01', at: null, local: '2023-06-01T12:34:56.789012', flag: null, count: 4, ...noArrays },
      { rate: '0.2', starts: '2023-03-01', at: '2023-03-01T17:45:00.000000Z', local: '2023-03-01T23:30:00.000000', flag: false, count: 2, ...noArrays },
    ])
    // A date read at a late UTC instant is that UTC day.
    expect((result.reads['asOfJun10LateUtc'] as { effective: unknown }).effective).toEqual({ from: '2023-06-01', to: '2023-06-15' })
    // knownAt written with an offset is the same instant.
    expect((result.reads['asOfMay1KnownAtSecondInKathmandu'] as { values: { rate: string } }).values.rate).toBe('0.2')
    expect((result.reads['asOfMay1KnownAtFirst'] as { values: { rate: string } }).values.rate).toBe(LONG_NUMERIC)
    for (const version of result.reads['history'] as { system: { from: string; to: string | null } }[]) {
      expect(version.system.from).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/)
    }
  })

  it('the stored values are the ones given (checked in SQL, not through the library)', async () => {
    const { rows } = await sql<{ id: string; rate: string; starts: string }>`
      select id::text as id, rate::text as rate, to_char(starts, 'YYYY-MM-DD') as starts
      from ${sql.table(defaultTable)} where upper_inf(system) and lower(effective) = date '2023-01-01'`.execute(database().db)
    expect(rows).toEqual([{ id: ZONE_KEY.id, rate: LONG_NUMERIC, starts: '2023-01-01' }])
  })
})

describe('the same results', () => {
  it('in a session with TimeZone Asia/Kathmandu and DateStyle SQL, DMY', async () => {
    const db = connect({ options: '-c TimeZone=Asia/Kathmandu -c DateStyle=SQL,DMY' })
    const { rows } = await sql<{ zone: string; style: string }>`select current_setting('TimeZone') as zone, current_setting('DateStyle') as style`.execute(db)
    expect(rows[0]).toEqual({ zone: 'Asia/Kathmandu', style: 'SQL, DMY' })
    const result = await scenario(db)
    expect(countDates(result)).toBe(0)
    expect(normalise(result)).toEqual(reference)
  })

  it('in a session with TimeZone Pacific/Kiritimati (UTC+14) and DateStyle German', async () => {
    const db = connect({ options: '-c TimeZone=Pacific/Kiritimati -c DateStyle=German' })
    expect(normalise(await scenario(db))).toEqual(reference)
  })

  it('over a pool whose date, time and number type parsers return garbage', async () => {
    const replaced = new Set<TypeId>([
      ...[builtin.INT8, builtin.INT2, builtin.FLOAT4, builtin.FLOAT8, builtin.NUMERIC, builtin.MONEY],
      ...[builtin.DATE, builtin.TIME, builtin.TIMESTAMP, builtin.TIMESTAMPTZ, builtin.INTERVAL, builtin.TIMETZ],
    ])
    const db = connect({ types: poolTypes((oid) => (replaced.has(oid) ? garbage : undefined)) })
    const result = await scenario(db)
    expect(countDates(result)).toBe(0)
    expect(normalise(result)).toEqual(reference)
  })

  it('over a pool where every type parser except text’s returns garbage', async () => {
    // The write statement's outcome columns must not go through the caller's parsers either.
    const db = connect({ types: poolTypes((oid) => (oid === builtin.TEXT ? undefined : garbage)) })
    expect(normalise(await scenario(db))).toEqual(reference)
  })

  it('with the global pg date, timestamp and numeric parsers replaced (and restored afterwards)', async () => {
    const replaced = [builtin.DATE, builtin.TIMESTAMP, builtin.TIMESTAMPTZ, builtin.NUMERIC, builtin.INT8]
    const saved = replaced.map((oid) => [oid, globalParser(oid)] as const)
    try {
      for (const oid of replaced) pg.types.setTypeParser(oid, garbage)
      // A pool made now, with pg's global parsers.
      const result = await scenario(connect())
      expect(countDates(result)).toBe(0)
      expect(normalise(result)).toEqual(reference)
    } finally {
      for (const [oid, parser] of saved) pg.types.setTypeParser(oid, parser)
    }
    expect(globalParser(builtin.DATE)('2023-01-01')).not.toBe('GARBAGE')
  })

  it('with the global pg boolean parser replaced, an insert over a version still fails with OverlapError', async () => {
    // With booleans parsed as 1/0, an outcome read as a boolean would never say "overlapping",
    // and the insert would report success having written nothing.
    const definition = defineTable({ name: 'bool_parsers', key: { id: 'integer' }, values: { rate: 'numeric' } })
    await createTable(database().db, definition)
    const saved = globalParser(builtin.BOOL)
    try {
      pg.types.setTypeParser(builtin.BOOL, (value: string) => (value === 't' ? 1 : 0))
      const repo = bitemporal(connect(), definition)
      await repo.insert({ id: 1 }, { from: '2023-01-01' }, { rate: '1' })
      const outcome = await repo.insert({ id: 1 }, { from: '2023-02-01' }, { rate: '2' }).then(
        (result) => ({ result }),
        (error: unknown) => ({ error }),
      )
      expect('error' in outcome, `the overlapping insert reported ${JSON.stringify(outcome)}`).toBe(true)
      if ('error' in outcome) expect(outcome.error).toBeInstanceOf(OverlapError)
    } finally {
      pg.types.setTypeParser(builtin.BOOL, saved)
    }
  })
})

describe('the same results in a Node process with another TZ (a child process: Node reads TZ at startup)', () => {
  const run = promisify(execFile)

  interface ChildOutput {
    readonly tz: string | null
    readonly offset: number
    readonly localDay: number
    readonly dates: number
    readonly normalised: unknown
  }

  async function child(tz: string): Promise<ChildOutput> {
    const table = await newTable()
    const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, database().url, table], {
      cwd: ROOT,
      env: { ...process.env, TZ: tz },
    })
    const line = stdout.trim().split('\n').at(-1) ?? ''
    return JSON.parse(line) as ChildOutput
  }

  it.each([
    // getTimezoneOffset: UTC minus local, in minutes; getDate of 2023-03-01T23:30Z in local time.
    { tz: 'Pacific/Kiritimati', offset: -14 * 60, localDay: 2 },
    { tz: 'America/St_Johns', offset: 3 * 60 + 30, localDay: 1 },
  ])('TZ=$tz', async ({ tz, offset, localDay }) => {
    const output = await child(tz)
    // The child really ran in that zone…
    expect(output.tz).toBe(tz)
    expect(output.offset).toBe(offset)
    expect(output.localDay).toBe(localDay)
    // …and nothing of it shows in the results.
    expect(output.dates).toBe(0)
    expect(output.normalised).toEqual(reference)
  })
})
