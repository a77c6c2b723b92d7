/**
 * `npm run bench:variants`: what each object of the versions table costs a
 * range-splitting update, against the plain UPDATE. Builds the
 * benchmark's 20,000 × 5 table once per variant, each variant dropping more
 * of what `createTableSql` makes, and times the repository's update and the
 * bare split (the floor) on each, all alternating on one connection; then
 * the same again with `synchronous_commit = off`, which leaves each write's
 * work without the WAL flush. Prints a table; writes nothing. Not a product
 * option: the variants without triggers or CHECKs give up invariants, and
 * exist here only to show what the rest of the write costs.
 */
import { sql } from 'kysely'
import { bitemporal, createTable, defineTable, install, type AnyKysely } from '../src/index.js'
import { NamedStatement } from '../src/statement/named-statement.js'
import { runStatement } from '../src/statement/run-statement.js'
import { EntityQueue, FLOOR_PORTION, floorSql, PLAIN_UPDATE, UPDATE_PORTION } from './contenders.js'
import { createPlainTable, ENTITIES, fillVersions } from './fixture.js'
import { type Contender, measureAlternating, type RoundPlan } from './measure.js'
import { withBenchConnection } from './bench-connection.js'
import { pick, type Random, seededRandom } from './random.js'

/** What each variant drops from the library's table, cumulatively. */
const VARIANTS: readonly { readonly name: string; readonly what: string; readonly drop: (t: string) => readonly string[] }[] = [
  { name: 'library', what: 'the library’s table', drop: () => [] },
  { name: 'no_system_btrees', what: 'without the two btrees on the ends of system (changes reads)', drop: (t) => [`drop index ${t}_asserted`, `drop index ${t}_retracted`] },
  {
    name: 'bare',
    what: 'also without triggers and CHECKs: the exclusion constraint and the index of current rows only',
    drop: (t) => [
      `drop index ${t}_asserted`,
      `drop index ${t}_retracted`,
      `drop trigger ${t}_guard_history on ${t}`,
      `drop trigger ${t}_check_inserted_system on ${t}`,
      `alter table ${t} drop constraint ${t}_effective_valid`,
      `alter table ${t} drop constraint ${t}_system_valid`,
    ],
  },
]

const PLAN: RoundPlan = { warmup: 100, rounds: 6, operations: 300 }

const variantTable = (name: string) => defineTable({ name: `v_${name}`, key: { id: 'integer' }, values: { rate: 'numeric not null', note: 'text' } })

async function build(db: AnyKysely): Promise<void> {
  await install(db)
  await createPlainTable(db)
  for (const variant of VARIANTS) {
    const table = variantTable(variant.name)
    await createTable(db, table)
    for (const statement of variant.drop(table.name)) await sql.raw(statement).execute(db)
    await fillVersions(db, table.name)
  }
}

function contenders(db: AnyKysely, random: Random): Contender[] {
  const rate = (): string => (20 + random() * 10).toFixed(4)
  const list: Contender[] = [{ name: 'plain UPDATE by id', run: async () => {
        await runStatement(db, PLAIN_UPDATE, [rate(), pick(random, ENTITIES)])
      } }]
  for (const variant of VARIANTS) {
    const table = variantTable(variant.name)
    const repository = bitemporal(db, table)
    const updated = new EntityQueue(random)
    const floored = new EntityQueue(random)
    const floor = new NamedStatement(floorSql(table.name), `variants_floor_${table.name}`)
    list.push(
      { name: `update, ${variant.what}`, run: async () => {
          await repository.update({ id: updated.take() }, UPDATE_PORTION, { rate: rate() })
        } },
      { name: `floor, ${variant.what}`, run: async () => {
          await runStatement(db, floor, [floored.take(), FLOOR_PORTION, rate()])
        } },
    )
  }
  return list
}

async function main(): Promise<void> {
  await withBenchConnection('bitemporal_variants', async ({ db }) => {
    console.error('[bench:variants] building the tables')
    await build(db)
    const racing = contenders(db, seededRandom(20_261_205))
    for (const flush of ['on', 'off'] as const) {
      if (flush === 'off') await sql`set synchronous_commit = off`.execute(db)
      console.error(`[bench:variants] timing with synchronous_commit = ${flush}`)
      const timings = await measureAlternating(racing, PLAN)
      const plain = timings[0]?.medianUs ?? Number.NaN
      console.log(`\nsynchronous_commit = ${flush}: median µs, and ÷ plain UPDATE (${String(PLAN.rounds)} rounds × ${String(PLAN.operations)}, alternating)`)
      for (const t of timings) console.log(`  ${t.medianUs.toFixed(0).padStart(5)}  ${(t.medianUs / plain).toFixed(2).padStart(5)}×  ${t.name}`)
    }
  })
}

await main()
