import { afterAll, beforeAll, expect, it } from 'vitest'
import { useTestDatabase } from '../support/database.js'
import { checkHistory } from './support/check-history.js'
import { prepareLoad } from './support/load-table.js'
import { allKeys } from './support/random-write.js'
import { reliabilityConfig } from './support/reliability-config.js'
import { report } from './support/report.js'
import { opsPerSecond, runLoad } from './support/run-load.js'
import { type WriterPool, writerPool } from './support/writer-pool.js'

// Issue 8, Load: N workers write at random, for a fixed time, on a few hot
// keys and many cold ones; afterwards the history must be exactly the
// acknowledged writes, and docs/semantics.md §2 must hold over the whole table.

const config = reliabilityConfig()
const database = useTestDatabase()
let writers: WriterPool

beforeAll(async () => {
  await prepareLoad(database().db, allKeys(config))
  writers = writerPool(database().url, config.workers)
})
afterAll(() => writers.end())

it(`${String(config.workers)} workers writing for ${String(config.loadMs / 1_000)} s lose no acknowledged write and leave no unacknowledged one`, async () => {
  const stats = await runLoad(writers.db, { ...config, durationMs: config.loadMs })
  const check = await checkHistory(database().db)
  const retries = Object.values(stats.retries).reduce((sum, n) => sum + n, 0)
  report('load', {
    form: config.form,
    workers: config.workers,
    hotKeys: config.hotKeys,
    coldKeys: config.coldKeys,
    seconds: Math.round(stats.elapsedMs / 1_000),
    opsPerSecond: opsPerSecond(stats),
    transactions: stats.transactions,
    committed: stats.committed,
    noOps: stats.noOps,
    retries,
    retriesBySqlState: stats.retries,
    failures: stats.failures,
    ...check.figures,
    examples: stats.examples,
    problems: check.problems,
  })
  expect(check.problems).toEqual([])
  expect(stats.untyped).toEqual([])
  expect(stats.unsafeRetries).toEqual([])
  // Without faults, the server committed exactly what the clients saw committed (the initial load is one ack per key).
  expect(check.figures.acknowledged - allKeys(config).length).toBe(stats.committed)
  // Only the answers a write may give under contention: no database error of any other kind.
  expect(Object.keys(stats.failures).filter((name) => !/^(NOT_FOUND|OVERLAP|CONCURRENT_WRITE)\b/.test(name))).toEqual([])
  expect(stats.committed).toBeGreaterThan(0)
})
