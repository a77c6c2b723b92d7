import { sql } from 'kysely'
import type { AnyKysely } from '../src/index.js'
import { group } from './compare.js'
import { type Comparison, NAMES } from './contenders.js'
import { measureAlternating, type RoundPlan } from './measure.js'
import type { GroupResult } from './report.js'

/**
 * The writes again, with `synchronous_commit = off` on the connection: each
 * commit still writes its WAL, but does not wait for the disk to flush it.
 * What is left is the work of the write (driver, protocol, execution,
 * commit bookkeeping), apart from the one wait every write pays alike.
 */
export interface CommitFlushResult {
  readonly group: GroupResult
  /** A commit's WAL flush in this run, estimated as the plain UPDATE with its flush minus without. */
  readonly flushUs: number
  /**
   * For each write, the flush at which it would take exactly twice the plain
   * UPDATE: with `W` the work of each without the flush and `F` the flush,
   * `(W_write + F) / (W_plain + F) ≤ 2` exactly when `F ≥ W_write − 2·W_plain`.
   */
  readonly breakEven: readonly { readonly name: string; readonly flushUs: number }[]
}

/** The break-even flushes shown: the update and the bare rows under it. */
const BREAK_EVEN = [NAMES.update, NAMES.floor] as const

/**
 * Times `comparison` (the same contenders, which carry on with the entities
 * they have not touched yet) without waiting for the WAL flush, and sets the
 * connection back afterwards. `withFlush` is the same comparison as timed
 * with the server's own setting.
 */
export async function measureWithoutFlush(db: AnyKysely, comparison: Comparison, withFlush: GroupResult, plan: RoundPlan): Promise<CommitFlushResult> {
  await sql`set synchronous_commit = off`.execute(db)
  let result: GroupResult
  try {
    const untargeted: Comparison = { ...comparison, title: `${comparison.title} without waiting for the WAL flush`, targets: {}, versus: [] }
    result = group(untargeted, await measureAlternating(comparison.contenders, plan))
  } finally {
    await sql`reset synchronous_commit`.execute(db)
  }
  const median = (g: GroupResult, name: string): number => {
    const row = g.rows.find((r) => r.name === name)
    if (row === undefined) throw new Error(`bench: no timings of ${name}`)
    return row.medianUs
  }
  const plain = median(result, NAMES.plainUpdate)
  return {
    group: result,
    flushUs: median(withFlush, NAMES.plainUpdate) - plain,
    breakEven: BREAK_EVEN.map((name) => ({ name, flushUs: median(result, name) - 2 * plain })),
  }
}
