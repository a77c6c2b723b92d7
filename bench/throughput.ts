import { CompiledQuery, sql } from 'kysely'
import { bitemporal, ConcurrentWriteError, createTable, defineTable } from '../src/index.js'
import { countingPool, statementKind } from '../test/support/counting-pool.js'
import { CONNECTIONS } from './bench-plan.js'

/** One concurrent run: `connections` writers for a fixed time. */
export interface ThroughputResult {
  readonly name: string
  readonly keys: 'distinct' | 'hot'
  readonly connections: number
  readonly seconds: number
  /** Writes acknowledged. */
  readonly operations: number
  readonly perSecond: number
  /**
   * Runs again after a lost race: statements the repository sent again
   * (counted at the driver: statements sent minus writes called), or, in a
   * transaction, the times the helper ran the function again.
   */
  readonly retries: number
  /** Writes that failed with `ConcurrentWriteError` after every retry. */
  readonly failed: number
}

const contention = defineTable({ name: 'contention', key: { id: 'integer' }, values: { rate: 'numeric not null', note: 'text' } })
/** Keys per writer in the distinct-keys runs, taken in turn, so no key's history grows long. */
const KEYS_PER_WRITER = 500
const HOT_KEY = 0
const PORTION = { from: '2024-02-10', to: '2024-02-20' }

interface Worker {
  /** One write; resolves to how many retries it took, counted by the caller's own means. */
  readonly write: (writer: number, n: number) => Promise<void>
}

/**
 * Concurrent throughput on a pool of `CONNECTIONS` connections: plain
 * `UPDATE`s and the repository's `update` (a split inside a version), each
 * writer on keys of its own and all writers on one hot key; the repository
 * as single writes (its statement retries) and through `repo.transaction`
 * (the helper's retries). Each run warms up for a tenth of its time first.
 */
export async function throughput(url: string, seconds: number): Promise<ThroughputResult[]> {
  const counting = countingPool({ connectionString: url, max: CONNECTIONS })
  const { db } = counting
  try {
    await createTable(db, contention)
    const keys = CONNECTIONS * KEYS_PER_WRITER
    await sql`insert into contention (id, rate, effective) select i, 1, daterange('2024-01-01', null, '[)') from generate_series(0, ${keys}) as i`.execute(db)
    await sql`create table contention_plain (id integer primary key, rate numeric not null, note text)`.execute(db)
    await sql`insert into contention_plain (id, rate) select i, 1 from generate_series(0, ${keys}) as i`.execute(db)
    await sql`vacuum analyze contention`.execute(db)
    await sql`vacuum analyze contention_plain`.execute(db)
    const repository = bitemporal(db, contention)
    const key = (hot: boolean, writer: number, n: number): number => (hot ? HOT_KEY : 1 + writer * KEYS_PER_WRITER + (n % KEYS_PER_WRITER))
    const rate = (writer: number, n: number): string => (2 + writer + (n % 1000) / 1000).toFixed(4)
    let attempts = 0
    const plain = (hot: boolean): Worker => ({
      write: async (writer, n) => {
        await db.executeQuery(CompiledQuery.raw('UPDATE contention_plain SET rate = $1 WHERE id = $2', [rate(writer, n), key(hot, writer, n)]))
      },
    })
    const single = (hot: boolean): Worker => ({
      write: async (writer, n) => {
        await repository.update({ id: key(hot, writer, n) }, PORTION, { rate: rate(writer, n) })
      },
    })
    const inTransaction = (hot: boolean): Worker => ({
      write: async (writer, n) => {
        await repository.transaction(async (r) => {
          attempts++
          await r.update({ id: key(hot, writer, n) }, PORTION, { rate: rate(writer, n) })
        })
      },
    })
    const runs: { name: string; hot: boolean; worker: Worker; retries: (sent: number, calls: number, tries: number) => number }[] = [
      { name: 'plain UPDATE by id', hot: false, worker: plain(false), retries: () => 0 },
      { name: 'plain UPDATE by id', hot: true, worker: plain(true), retries: () => 0 },
      { name: 'repository update (single statement, its own transaction)', hot: false, worker: single(false), retries: (sent, calls) => sent - calls },
      { name: 'repository update (single statement, its own transaction)', hot: true, worker: single(true), retries: (sent, calls) => sent - calls },
      { name: 'repository update in repo.transaction (BEGIN, update, COMMIT)', hot: false, worker: inTransaction(false), retries: (_, calls, tries) => tries - calls },
      { name: 'repository update in repo.transaction (BEGIN, update, COMMIT)', hot: true, worker: inTransaction(true), retries: (_, calls, tries) => tries - calls },
    ]
    const results: ThroughputResult[] = []
    for (const run of runs) {
      await timed(run.worker, seconds / 10)
      const sentBefore = counting.queries.length
      attempts = 0
      const outcome = await timed(run.worker, seconds)
      // Write statements only: a retry also sends BEGIN and COMMIT when it runs in a transaction (decision 78); a busy key runs again inside the statement (decision 148).
      const sent = counting.queries.slice(sentBefore).filter((text) => statementKind(text) === 'with').length
      results.push({
        name: run.name,
        keys: run.hot ? 'hot' : 'distinct',
        connections: CONNECTIONS,
        seconds: outcome.seconds,
        operations: outcome.done,
        perSecond: outcome.done / outcome.seconds,
        retries: run.retries(sent, outcome.done + outcome.failed, attempts),
        failed: outcome.failed,
      })
    }
    return results
  } finally {
    await counting.end()
  }
}

/**
 * Runs `CONNECTIONS` writers until `seconds` have passed; every writer
 * finishes the write it started. `ConcurrentWriteError`s are counted, any
 * other error ends the run.
 */
async function timed(worker: Worker, seconds: number): Promise<{ done: number; failed: number; seconds: number }> {
  const start = process.hrtime.bigint()
  const deadline = start + BigInt(Math.round(seconds * 1e9))
  let done = 0
  let failed = 0
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, writer) => {
      for (let n = 0; process.hrtime.bigint() < deadline; n++) {
        try {
          await worker.write(writer, n)
          done++
        } catch (error) {
          if (!(error instanceof ConcurrentWriteError)) throw error
          failed++
        }
      }
    }),
  )
  return { done, failed, seconds: Number(process.hrtime.bigint() - start) / 1e9 }
}
