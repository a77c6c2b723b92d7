import type { RoundPlan } from './measure.js'

/** The sizes of one table in the history-length comparison: `entities` keys of `versions` versions each. */
export interface HistorySize {
  readonly entities: number
  readonly versions: number
}

/** How much each part of the benchmark runs, in full or quick mode. */
export interface BenchPlan {
  readonly mode: 'full' | 'quick'
  readonly reads: RoundPlan
  readonly writes: RoundPlan
  /**
   * asOf against a plain SELECT on two tables of the same number of rows:
   * `short` history per entity, and `long`, ten times as many versions per
   * entity (and a tenth of the entities, so that the indexes have the same
   * size and depth and only the history per entity differs).
   */
  readonly history: { readonly short: HistorySize; readonly long: HistorySize; readonly plan: RoundPlan }
  /** Versions of the one entity whose whole timeline is read. */
  readonly timeline: { readonly versions: number; readonly plan: RoundPlan }
  /** `repo.query(...).count` over the `short` history table, as of a past instant, after `pastWrites` updates. */
  readonly count: { readonly pastWrites: number; readonly plan: RoundPlan }
  /** Seconds each concurrent-throughput run lasts (after a warm-up of a tenth of that). */
  readonly throughputSeconds: number
  /** Versions loaded by `repo.load` and by COPY (`entities` × `versionsPerEntity`), each `rounds` times into a new table. */
  readonly load: { readonly entities: number; readonly versionsPerEntity: number; readonly rounds: number }
}

export const CONNECTIONS = 8

export const PLANS: Readonly<Record<'full' | 'quick', BenchPlan>> = {
  full: {
    mode: 'full',
    reads: { warmup: 500, rounds: 5, operations: 2000 },
    writes: { warmup: 200, rounds: 5, operations: 1000 },
    history: {
      short: { entities: 100_000, versions: 10 },
      long: { entities: 10_000, versions: 100 },
      plan: { warmup: 500, rounds: 5, operations: 2000 },
    },
    timeline: { versions: 1000, plan: { warmup: 20, rounds: 5, operations: 100 } },
    count: { pastWrites: 2000, plan: { warmup: 2, rounds: 3, operations: 5 } },
    throughputSeconds: 10,
    load: { entities: 100_000, versionsPerEntity: 10, rounds: 1 },
  },
  quick: {
    mode: 'quick',
    reads: { warmup: 100, rounds: 3, operations: 300 },
    writes: { warmup: 50, rounds: 3, operations: 150 },
    history: {
      short: { entities: 10_000, versions: 10 },
      long: { entities: 1000, versions: 100 },
      plan: { warmup: 100, rounds: 3, operations: 300 },
    },
    timeline: { versions: 1000, plan: { warmup: 5, rounds: 3, operations: 20 } },
    count: { pastWrites: 200, plan: { warmup: 1, rounds: 3, operations: 3 } },
    throughputSeconds: 2,
    load: { entities: 5000, versionsPerEntity: 10, rounds: 2 },
  },
}
