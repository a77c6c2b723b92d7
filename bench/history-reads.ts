import { CompiledQuery } from 'kysely'
import { bitemporal, type AnyKysely } from '../src/index.js'
import type { BenchPlan } from './bench-plan.js'
import { group } from './compare.js'
import type { Comparison } from './contenders.js'
import { addLongTimeline, buildHistoryTable, type HistoryTable, type LongTimeline, monthDay } from './history-fixture.js'
import { measureAlternating } from './measure.js'
import { preparedQuery } from './prepared.js'
import { pick, type Random } from './random.js'
import type { GroupResult } from './report.js'

/** asOf's ratio to the plain SELECT at ten times the history, over its ratio at the short history. */
export interface HistoryLengthResult {
  readonly short: GroupResult
  readonly long: GroupResult
  /** Ratio of ratios for asOf in current knowledge and with a past `knownAt`; the target is 1.2 at most. */
  readonly ratioOfRatios: { readonly current: number; readonly knownAt: number }
  readonly target: number
}

export const HISTORY_TARGET = 1.2

const label = (table: HistoryTable): string => `${String(table.size.entities)} × ${String(table.size.versions)}`

function found(what: string, value: unknown): void {
  if (value === undefined) throw new Error(`bench: ${what} found nothing`)
}

/** Plain SELECT (sent and prepared), asOf in current and in past knowledge, on one history table. */
function asOfComparison(db: AnyKysely, random: Random, table: HistoryTable): Comparison {
  const repository = bitemporal(db, table.definition)
  const text = `SELECT id, rate, note FROM ${table.plain} WHERE id = $1`
  const name = (what: string): string => `${what} [${label(table)}]`
  // A random day inside the entity's history, so every version is as likely to be the one found.
  const validAt = (): string => monthDay(pick(random, table.size.versions) - 1, pick(random, 28))
  return {
    title: `asOf against plain SELECT at ${label(table)} versions (${String(table.size.entities * table.size.versions)} rows)`,
    contenders: [
      { name: name('plain SELECT by id'), run: () => plainRun(db, text, [pick(random, table.plainRows)]) },
      {
        name: name('plain SELECT by id, prepared'),
        run: () => plainRun(db, preparedQuery(`bench_${table.definition.name}_select`, text, [pick(random, table.plainRows)])),
      },
      {
        name: name('asOf (current knowledge)'),
        run: async () => {
          found('asOf', await repository.asOf({ id: pick(random, table.size.entities) }, { validAt: validAt() }))
        },
      },
      {
        name: name('asOf with knownAt (past system time)'),
        run: async () => {
          found('asOf knownAt', await repository.asOf({ id: pick(random, table.size.entities) }, { validAt: validAt(), knownAt: table.recordedAt }))
        },
      },
    ],
    targets: { [name('asOf (current knowledge)')]: 1.3 },
  }
}

async function plainRun(db: AnyKysely, query: string | CompiledQuery, parameters: readonly unknown[] = []): Promise<void> {
  await db.executeQuery(typeof query === 'string' ? CompiledQuery.raw(query, [...parameters]) : query)
}

/** Builds the two history tables (and the long timeline), then times all eight contenders alternating in one run. */
export async function historyLength(
  db: AnyKysely,
  random: Random,
  plan: BenchPlan,
  log: (message: string) => void,
): Promise<{ result: HistoryLengthResult; short: HistoryTable; long: HistoryTable; timeline: LongTimeline }> {
  const { short: shortSize, long: longSize } = plan.history
  log(`history length: building ${String(shortSize.entities)} × ${String(shortSize.versions)} and ${String(longSize.entities)} × ${String(longSize.versions)}`)
  // Both plain tables have as many rows as the short history has entities,
  // as they would if the long history had as many entities: the baseline
  // stays the same, and the ratio of ratios is asOf's own growth.
  const short = await buildHistoryTable(db, 'history_short', shortSize)
  const long = await buildHistoryTable(db, 'history_long', longSize, shortSize.entities)
  const timeline = await addLongTimeline(db, long, plan.timeline.versions)
  log('history length: asOf')
  const comparisons = [asOfComparison(db, random, short), asOfComparison(db, random, long)] as const
  const timings = await measureAlternating(
    comparisons.flatMap((c) => c.contenders),
    plan.history.plan,
  )
  const note =
    'Both bitemporal tables hold the same number of rows, so their indexes have the same size and depth, and both plain tables have one row per entity of the short history: only the history per entity differs.'
  const [shortGroup, longGroup] = [group(comparisons[0], timings, note), group(comparisons[1], timings, note)]
  const ratioOf = (g: GroupResult, index: number): number => g.rows[index]?.ratio ?? Number.NaN
  return {
    result: {
      short: shortGroup,
      long: longGroup,
      ratioOfRatios: { current: ratioOf(longGroup, 2) / ratioOf(shortGroup, 2), knownAt: ratioOf(longGroup, 3) / ratioOf(shortGroup, 3) },
      target: HISTORY_TARGET,
    },
    short,
    long,
    timeline,
  }
}

/** The whole timeline of the entity with `timeline.versions` versions, against a plain SELECT of the same rows. */
export function timelineComparison(db: AnyKysely, table: HistoryTable, timeline: LongTimeline): Comparison {
  const repository = bitemporal(db, table.definition)
  const text = `SELECT id, valid_from, valid_to, rate, note FROM ${timeline.plain} WHERE id = $1 ORDER BY valid_from`
  const expect = (what: string, length: number): void => {
    if (length !== timeline.versions) throw new Error(`bench: ${what} returned ${String(length)} versions, not ${String(timeline.versions)}`)
  }
  return {
    title: `timeline of one entity with ${String(timeline.versions)} versions`,
    contenders: [
      {
        name: `plain SELECT of ${String(timeline.versions)} rows by (id, valid_from)`,
        run: async () => {
          expect('plain SELECT', (await db.executeQuery(CompiledQuery.raw(text, [timeline.id]))).rows.length)
        },
      },
      {
        name: `plain SELECT of ${String(timeline.versions)} rows, prepared`,
        run: async () => {
          expect('plain SELECT', (await db.executeQuery(preparedQuery('bench_series_select', text, [timeline.id]))).rows.length)
        },
      },
      {
        name: 'timeline (current knowledge)',
        run: async () => {
          expect('timeline', (await repository.timeline({ id: timeline.id })).length)
        },
      },
      {
        name: 'timeline with knownAt (past system time)',
        run: async () => {
          expect('timeline knownAt', (await repository.timeline({ id: timeline.id }, { knownAt: timeline.recordedAt })).length)
        },
      },
    ],
    targets: {},
  }
}
