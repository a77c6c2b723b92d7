import { runInNewContext } from 'node:vm'
import { setFlagsFromString } from 'node:v8'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bitemporal, createTable, defineTable, install, streamQuery } from '../../src/index.js'
import { type CountingPool, countingPool } from '../support/counting-pool.js'
import { useTestDatabase } from '../support/database.js'
import { rejectsWithCode } from '../support/rejects-with-code.js'

// 200k versions of one key, each with a 500-character note: about 100 MB of
// strings once decoded, far above what a streamed read may hold at a time.
const VERSIONS = 200_000
const NOTE_LENGTH = 500
const HEAP_BOUND = 40 * 1024 * 1024

const streamed = defineTable({ name: 'streamed', key: { id: 'integer' }, values: { note: 'text not null' } })

const database = useTestDatabase()
let counting: CountingPool
let loadedAt: string

beforeAll(async () => {
  const { db } = database()
  await install(db)
  await createTable(db, streamed)
  // Day i of key 1 is note i: one long timeline, all recorded in one transaction.
  await sql`
    insert into streamed (id, note, effective)
    select 1, lpad(i::text, ${NOTE_LENGTH}, 'x'), daterange(date '1500-01-01' + i, date '1500-01-01' + i + 1)
    from generate_series(0, ${VERSIONS - 1}) as i`.execute(db)
  await sql`insert into streamed (id, note, effective) values (2, 'other key', '[2020-01-01,)')`.execute(db)
  await sql`analyze streamed`.execute(db)
  const { rows } = await sql<{ t: string }>`select bitemporal.format_system_time(min(lower(system))) as t from streamed`.execute(db)
  loadedAt = rows[0]?.t ?? ''
  counting = countingPool({ connectionString: database().url, max: 2 })
}, 120_000)

afterAll(async () => {
  await counting.end()
})

/** A `gc()` for this test: the heap figures mean nothing while garbage is still around. */
function collector(): () => void {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

/**
 * Iterates `rows`, checking each with `check(row, index)`, and returns how
 * many there were and the most the heap grew above where it started
 * (sampled every 10k rows, after a collection).
 */
async function drain<T>(rows: AsyncIterable<T>, check: (row: T, index: number) => void): Promise<{ count: number; peakGrowth: number }> {
  const gc = collector()
  gc()
  const start = process.memoryUsage().heapUsed
  let peakGrowth = 0
  let count = 0
  for await (const row of rows) {
    check(row, count)
    count++
    if (count % 10_000 === 0) {
      gc()
      peakGrowth = Math.max(peakGrowth, process.memoryUsage().heapUsed - start)
    }
  }
  return { count, peakGrowth }
}

const noteOf = (i: number): string => String(i).padStart(NOTE_LENGTH, 'x')

describe('streamHistory: a key with 200k versions in bounded memory', () => {
  it('yields every version in history order, one batch in memory at a time, one FETCH per batch', async () => {
    const repository = bitemporal(counting.db, streamed)
    const { sent, result } = await counting.count(() =>
      drain(repository.streamHistory({ id: 1 }, { batchSize: 1000 }), (version, i) => {
        // history orders by system start, then effective start: day by day here.
        if (version.values.note !== noteOf(i)) throw new Error(`version ${String(i)} is out of order: ${version.values.note.slice(-8)}`)
      }),
    )
    expect(result.count).toBe(VERSIONS)
    expect(result.peakGrowth).toBeLessThan(HEAP_BOUND)
    const fetches = sent.filter((text) => text.startsWith('fetch forward 1000 from'))
    expect(fetches).toHaveLength(VERSIONS / 1000 + 1)
    expect(sent.filter((text) => text.startsWith('declare '))).toHaveLength(1)
  }, 120_000)

  it('holds far more than the bound when the same versions are read at once (what the stream avoids)', async () => {
    const gc = collector()
    gc()
    const start = process.memoryUsage().heapUsed
    const all = await bitemporal(counting.db, streamed).history({ id: 1 })
    gc()
    expect(all).toHaveLength(VERSIONS)
    expect(process.memoryUsage().heapUsed - start).toBeGreaterThan(HEAP_BOUND)
  }, 120_000)
})

describe('streamChanges and streamQuery', () => {
  it('streamChanges yields what changes returns, in its order, for all keys', async () => {
    const repository = bitemporal(database().db, streamed)
    const eager = await repository.changes({ since: loadedAt })
    const { count } = await drain(repository.streamChanges({ since: loadedAt }, { batchSize: 7000 }), (change, i) => {
      const expected = eager[i]
      if (expected === undefined || change.kind !== expected.kind || change.values.note !== expected.values.note || change.key.id !== expected.key.id) {
        throw new Error(`change ${String(i)} differs from changes()`)
      }
    })
    expect(count).toBe(VERSIONS + 1)
    expect(eager).toHaveLength(VERSIONS + 1)
  }, 120_000)

  it('streamQuery reads repo.query() through a cursor: every version at any valid time, or the one valid on a day', async () => {
    const repository = bitemporal(database().db, streamed)
    const any = await drain(streamQuery(database().db, repository.query({ validAt: 'any' }).select(['id', 'note']), { batchSize: 5000 }), () => undefined)
    expect(any.count).toBe(VERSIONS + 1)
    expect(any.peakGrowth).toBeLessThan(HEAP_BOUND)
    const day = []
    for await (const row of streamQuery(database().db, repository.query({ validAt: '1500-01-11' }).select(['id', 'note']).orderBy('id'))) day.push(row)
    expect(day).toEqual([{ id: 1, note: noteOf(10) }])
  }, 120_000)
})

describe('the cursor: transactions, early exits, errors', () => {
  async function openTransactions(): Promise<number> {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and state like 'idle in transaction%' and pid <> pg_backend_pid()`.execute(database().db)
    return rows[0]?.n ?? -1
  }

  it('a loop that stops early ends the stream transaction and gives the connection back', async () => {
    const repository = bitemporal(counting.db, streamed)
    const { sent } = await counting.count(async () => {
      let seen = 0
      for await (const version of repository.streamHistory({ id: 1 }, { batchSize: 100 })) {
        expect(version.key).toEqual({ id: 1 })
        if (++seen === 10) break
      }
    })
    expect(sent.filter((text) => text.startsWith('fetch'))).toHaveLength(1)
    expect(sent.at(-1)).toMatch(/^rollback/i)
    expect(await openTransactions()).toBe(0)
    // The pool still works: both of its connections.
    expect(await repository.asOf({ id: 2 }, { validAt: '2021-01-01' })).toMatchObject({ values: { note: 'other key' } })
  })

  it('inside a caller transaction it reads that transaction (uncommitted rows included) and closes its cursor', async () => {
    class RollBack extends Error {}
    const run = database()
      .db.transaction()
      .execute(async (trx) => {
        const repository = bitemporal(trx, streamed)
        await repository.insert({ id: 3 }, { from: '2024-01-01' }, { note: 'uncommitted' })
        const seen = []
        for await (const version of repository.streamHistory({ id: 3 })) seen.push(version.values.note)
        expect(seen).toEqual(['uncommitted'])
        const cursors = await sql<{ n: number }>`select count(*)::int as n from pg_cursors`.execute(trx)
        expect(cursors.rows).toEqual([{ n: 0 }])
        throw new RollBack()
      })
    await expect(run).rejects.toBeInstanceOf(RollBack)
    expect(await bitemporal(database().db, streamed).history({ id: 3 })).toEqual([])
  })

  it('a batch size that is not a whole number from 1 to 1,000,000 is an InvalidInputError, and nothing is sent', async () => {
    const repository = bitemporal(counting.db, streamed)
    for (const batchSize of [0, -1, 1.5, Number.NaN, 1_000_001, '10' as unknown as number]) {
      const { sent } = await counting.count(() =>
        rejectsWithCode(async () => {
          await repository.streamHistory({ id: 1 }, { batchSize }).next()
        },
          'INVALID_INPUT',
        ),
      )
      expect(sent).toEqual([])
    }
  })

  it('a failing query surfaces as a typed error and ends the stream transaction', async () => {
    const broken = database().db.selectFrom('streamed').select(sql<number>`1 / (id - id)`.as('boom'))
    await rejectsWithCode(async () => {
      await streamQuery(database().db, broken).next()
    },
      'INVALID_INPUT',
    )
    expect(await openTransactions()).toBe(0)
  })
})
