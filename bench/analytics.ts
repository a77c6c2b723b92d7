/**
 * `npm run bench:analytics`: the analytics reads of issue 18 at 1M versions,
 * each against the baseline its target names. Uses DATABASE_URL when set,
 * else starts an embedded PostgreSQL; either way in a database of its own
 * that it drops. Prints Markdown (paste into docs/read-plans.md and
 * docs/benchmarks.md) and exits 1 if a target is missed.
 */
import { analyticsDiffBench, formatDiffBench } from './analytics-diff.js'
import { withBenchConnection } from './bench-connection.js'

function log(message: string): void {
  console.error(`[bench:analytics] ${message}`)
}

await withBenchConnection('bitemporal_analytics', async (bench) => {
  const diff = await analyticsDiffBench(bench, log)
  console.log(`## Restatement diff\n\n${formatDiffBench(diff)}`)
  if (diff.oneKeyRatio > 2 || diff.allKeysRatio > 10) {
    log('a diff target was missed')
    process.exitCode = 1
  }
})
