/** One side of a comparison: a name and one operation to time. */
export interface Contender {
  readonly name: string
  readonly run: () => Promise<void>
}

/** How much to run: a warm-up, then `rounds` rounds of `operations` timed operations per contender. */
export interface RoundPlan {
  readonly warmup: number
  readonly rounds: number
  readonly operations: number
}

/** The timings of one contender, in microseconds per operation. */
export interface Timings {
  readonly name: string
  readonly medianUs: number
  readonly p90Us: number
  /** The median of each round, to show how stable the run was. */
  readonly roundMediansUs: readonly number[]
}

/**
 * Times every contender on the same connection, alternating them: each round
 * runs `operations` operations of each in turn, starting with a different
 * contender each round, so drift (caches, autovacuum, table growth) falls on
 * all of them alike. Each operation is timed on its own with
 * `process.hrtime.bigint()`.
 */
export async function measureAlternating(contenders: readonly Contender[], plan: RoundPlan): Promise<Timings[]> {
  for (const contender of contenders) {
    for (let i = 0; i < plan.warmup; i++) await contender.run()
  }
  const samples = contenders.map(() => new Float64Array(plan.rounds * plan.operations))
  const roundMedians = contenders.map((): number[] => [])
  for (let round = 0; round < plan.rounds; round++) {
    for (let turn = 0; turn < contenders.length; turn++) {
      const index = (round + turn) % contenders.length
      const contender = contenders[index] as Contender
      const all = samples[index] as Float64Array
      const offset = round * plan.operations
      for (let i = 0; i < plan.operations; i++) {
        const start = process.hrtime.bigint()
        await contender.run()
        all[offset + i] = Number(process.hrtime.bigint() - start) / 1000
      }
      roundMedians[index]?.push(median(all.subarray(offset, offset + plan.operations)))
    }
  }
  return contenders.map((contender, index) => {
    const all = samples[index] as Float64Array
    return { name: contender.name, medianUs: median(all), p90Us: percentile(all, 0.9), roundMediansUs: roundMedians[index] ?? [] }
  })
}

export function median(values: ArrayLike<number>): number {
  return percentile(values, 0.5)
}

/** The `p`-quantile (0…1), linearly interpolated. */
export function percentile(values: ArrayLike<number>, p: number): number {
  const sorted = Float64Array.from(values).sort()
  if (sorted.length === 0) return Number.NaN
  const position = (sorted.length - 1) * p
  const below = Math.floor(position)
  const low = sorted[below] ?? Number.NaN
  const high = sorted[Math.min(below + 1, sorted.length - 1)] ?? low
  return low + (high - low) * (position - below)
}
