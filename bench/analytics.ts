/**
 * `npm run bench:analytics`: issue 18's targets for sequenced analytics at
 * 1M versions, measured (not a timed test): `aggregate` against a plain
 * `count(*)`, and `diff` against a key's timeline and a plain `count(*)`.
 * Prints the timings, writes the aggregate's section of docs/read-plans.md
 * (between its own markers, so a run replaces only it) and prints the diff's
 * as Markdown. Uses DATABASE_URL when set, else starts an embedded
 * PostgreSQL; either way it works in a database of its own that it drops.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { benchAggregate } from './analytics-aggregate.js'
import { analyticsDiffBench, formatDiffBench } from './analytics-diff.js'
import { withBenchConnection } from './bench-connection.js'

const START = '<!-- bench:analytics aggregate: start -->'
const END = '<!-- bench:analytics aggregate: end -->'

function log(message: string): void {
  console.error(`[bench:analytics] ${message}`)
}

async function main(): Promise<void> {
  await withBenchConnection('bitemporal_analytics', async (bench) => {
    const result = await benchAggregate(bench.db, log)
    for (const timing of result.timings) console.log(`${timing.name}: median ${(timing.medianUs / 1000).toFixed(1)} ms, p90 ${(timing.p90Us / 1000).toFixed(1)} ms`)
    console.log(`aggregate / plain count(*): ${result.ratio.toFixed(2)}x (target <= 3x), ${String(result.steps)} steps`)
    await writeSection(result.markdown)
    const diff = await analyticsDiffBench(bench, log)
    console.log(`## Restatement diff\n\n${formatDiffBench(diff)}`)
  })
}

/** Replaces the section between the markers in docs/read-plans.md, or appends it. */
async function writeSection(markdown: string): Promise<void> {
  const file = new URL('../docs/read-plans.md', import.meta.url)
  const text = await readFile(file, 'utf8')
  const section = `${START}\n${markdown}${END}\n`
  const start = text.indexOf(START)
  const end = text.indexOf(END)
  const next = start >= 0 && end > start ? `${text.slice(0, start)}${section}${text.slice(end + END.length + 1)}` : `${text.trimEnd()}\n\n${section}`
  await writeFile(file, next)
  console.log(`wrote ${file.pathname}`)
}

await main()
