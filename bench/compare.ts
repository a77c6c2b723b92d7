import type { Comparison } from './contenders.js'
import { measureAlternating, type RoundPlan, type Timings } from './measure.js'
import type { GroupResult, Versus } from './report.js'

/** Times a comparison; ratios are against its first contender (plain) and its second (plain, prepared). */
export async function compare(comparison: Comparison, plan: RoundPlan): Promise<GroupResult> {
  return group(comparison, await measureAlternating(comparison.contenders, plan))
}

/**
 * The result of one comparison from timings measured (perhaps together with
 * other comparisons' contenders, so that all alternate in one run): the
 * timings of `comparison`'s contenders, in its order, with their ratios.
 */
export function group(comparison: Comparison, timings: readonly Timings[], note?: string): GroupResult {
  const own = comparison.contenders.map((contender) => {
    const timing = timings.find((t) => t.name === contender.name)
    if (timing === undefined) throw new Error(`bench: no timings of ${contender.name}`)
    return timing
  })
  const [plain, prepared] = own
  if (plain === undefined || prepared === undefined) throw new Error('bench: a comparison needs its two plain contenders first')
  const median = (name: string): number | undefined => own.find((t) => t.name === name)?.medianUs
  const versus: Versus[] = (comparison.versus ?? []).flatMap((v) => {
    const [a, b] = [median(v.name), median(v.of)]
    return a === undefined || b === undefined ? [] : [{ ...v, ratio: a / b }]
  })
  return {
    title: comparison.title,
    baseline: plain.name,
    prepared: prepared.name,
    ...(note === undefined ? {} : { note }),
    rows: own.map((timing) => {
      const target = comparison.targets[timing.name]
      return {
        ...timing,
        ratio: timing.medianUs / plain.medianUs,
        ratioPrepared: timing.medianUs / prepared.medianUs,
        ...(target === undefined ? {} : { target }),
      }
    }),
    ...(versus.length === 0 ? {} : { versus }),
  }
}
