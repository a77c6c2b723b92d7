import { CompiledQuery } from 'kysely'
import { bitemporal, type AnyKysely, type WriteResult } from '../src/index.js'
import { builtRate, day, ENTITIES, rates } from './fixture.js'
import type { Contender } from './measure.js'
import { NamedStatement } from '../src/statement/named-statement.js'
import { runStatement } from '../src/statement/run-statement.js'
import { preparedQuery } from './prepared.js'
import { pick, type Random, shuffled } from './random.js'

/** One comparison: contenders timed together, each against the first (the plain-table baseline). */
export interface Comparison {
  readonly title: string
  /** The baseline first, then its prepared form, then the repository's operations. */
  readonly contenders: readonly Contender[]
  /** Ratio targets from the issue, by contender name. */
  readonly targets: Readonly<Record<string, number>>
  /** Ratios between two contenders other than the baseline (`name` ÷ `of`), with the most each may be. */
  readonly versus?: readonly { readonly name: string; readonly of: string; readonly target?: number }[]
}

/** What the plain table takes: the same driver path as the repository's `runStatement`. */
async function plainQuery(db: AnyKysely, text: string, parameters: readonly unknown[]): Promise<void> {
  await db.executeQuery(CompiledQuery.raw(text, [...parameters]))
}

/** The same, as a statement `pg` prepares once on the connection (no parse and plan per call). */
async function preparedPlainQuery(db: AnyKysely, name: string, text: string, parameters: readonly unknown[]): Promise<void> {
  await db.executeQuery(preparedQuery(name, text, parameters))
}

export const PLAIN_SELECT = 'SELECT id, rate, note FROM plain WHERE id = $1'
export const PLAIN_UPDATE = 'UPDATE plain SET rate = $1 WHERE id = $2'

/** The contenders' names, as the results show them. */
export const NAMES = {
  plainSelect: 'plain SELECT by id',
  plainSelectPrepared: 'plain SELECT by id, prepared',
  asOf: 'asOf (current knowledge)',
  asOfKnown: 'asOf with knownAt (past system time)',
  timeline: 'timeline (current knowledge)',
  plainUpdate: 'plain UPDATE by id',
  plainUpdatePrepared: 'plain UPDATE by id, prepared',
  update: 'update, splitting a version (closes 1, inserts 3)',
  setFrom: 'set without to (closes 1, inserts 2)',
  noOp: 'no-op update (same rate; writes nothing)',
  floor: 'bare close and 3 inserts on the same table, no checks (the floor)',
  periodsUpdate: 'periods extension: UPDATE of its FOR PORTION OF view (same split)',
} as const

/** A random day in January to June 2024: inside one of every entity's versions. */
function randomDay(random: Random): string {
  return day(Math.floor(random() * 6), pick(random, 28))
}

/** A rate no built version has (they are below 14). */
function newRate(random: Random): string {
  return (20 + random() * 10).toFixed(4)
}

export function readComparison(db: AnyKysely, random: Random, recordedAt: string): Comparison {
  const repository = bitemporal(db, rates)
  const found = (what: string, value: unknown): void => {
    if (value === undefined) throw new Error(`bench: ${what} found nothing`)
  }
  return {
    title: 'Reads',
    contenders: [
      { name: NAMES.plainSelect, run: () => plainQuery(db, PLAIN_SELECT, [pick(random, ENTITIES)]) },
      { name: NAMES.plainSelectPrepared, run: () => preparedPlainQuery(db, 'bench_plain_select', PLAIN_SELECT, [pick(random, ENTITIES)]) },
      {
        name: NAMES.asOf,
        run: async () => {
          found('asOf', await repository.asOf({ id: pick(random, ENTITIES) }, { validAt: randomDay(random) }))
        },
      },
      {
        name: NAMES.asOfKnown,
        run: async () => {
          found('asOf knownAt', await repository.asOf({ id: pick(random, ENTITIES) }, { validAt: randomDay(random), knownAt: recordedAt }))
        },
      },
      {
        name: NAMES.timeline,
        run: async () => {
          found('timeline', (await repository.timeline({ id: pick(random, ENTITIES) }))[0])
        },
      },
    ],
    targets: { [NAMES.asOf]: 1.3 },
  }
}

/** Entities in random order, each handed out once. */
export class EntityQueue {
  readonly #order: number[]
  #next = 0

  constructor(random: Random) {
    this.#order = shuffled(random, ENTITIES)
  }

  take(): number {
    const id = this.#order[this.#next++]
    if (id === undefined) throw new Error(`bench: more writes than the ${String(ENTITIES)} entities`)
    return id
  }
}

function expectWrite(what: string, result: WriteResult, closed: number, inserted: number): void {
  if (result.closed !== closed || result.inserted !== inserted) {
    throw new Error(`bench: ${what} closed ${String(result.closed)} and inserted ${String(result.inserted)} rows, not ${String(closed)} and ${String(inserted)}`)
  }
}

/** The portion each repository update changes: inside an entity's February version. */
export const UPDATE_PORTION = { from: day(1, 10), to: day(1, 20) }

/**
 * The same split as the repository's update, reduced to what any bitemporal
 * write must do to the table: close the version, insert its two leftovers
 * and the patched middle. No key lock, no re-check, no optimistic check, no
 * status row: what is left is the cost of the rows, the indexes and the
 * triggers, so the gap between this and the update is the statement's own
 * cost. On May's version (unbounded), which no other contender touches.
 * `table` is shaped like `rates`; `$1` is the key, `$2` the portion, `$3`
 * the new rate.
 */
export function floorSql(table: string): string {
  return `with closed as (
  update ${table} as t set system = tsrange(lower(t.system), bitemporal.system_time(), '[)')
  where t.id = $1::integer and upper_inf(t.system) and t.effective && $2::daterange
  returning t.*
)
insert into ${table} (id, rate, note, effective)
select id, rate, note, effective * daterange(null, lower($2::daterange), '[)') from closed where lower(effective) < lower($2::daterange)
union all
select id, rate, note, effective * daterange(upper($2::daterange), null, '[)') from closed where upper_inf(effective) or upper(effective) > upper($2::daterange)
union all
select id, $3::numeric, note, effective * $2::daterange from closed`
}
const FLOOR_STATEMENT = new NamedStatement(floorSql('rates'), 'bench_floor_update')
export const FLOOR_PORTION = `[${day(4, 10)},${day(4, 20)})`

/**
 * The writes; `periods`, when the extension could be set up, is the same
 * portion update through its `FOR PORTION OF` view (on entities of its own table).
 */
export function writeComparison(db: AnyKysely, random: Random, updated: EntityQueue, periods?: Contender): Comparison {
  const repository = bitemporal(db, rates)
  const setFrom = new EntityQueue(random)
  const floor = new EntityQueue(random)
  return {
    title: 'Writes',
    contenders: [
      { name: NAMES.plainUpdate, run: () => plainQuery(db, PLAIN_UPDATE, [newRate(random), pick(random, ENTITIES)]) },
      {
        name: NAMES.plainUpdatePrepared,
        run: () => preparedPlainQuery(db, 'bench_plain_update', PLAIN_UPDATE, [newRate(random), pick(random, ENTITIES)]),
      },
      {
        name: NAMES.update,
        run: async () => {
          const result = await repository.update({ id: updated.take() }, UPDATE_PORTION, { rate: newRate(random) })
          expectWrite('update', result, 1, 3)
        },
      },
      {
        name: NAMES.setFrom,
        run: async () => {
          const result = await repository.set({ id: setFrom.take() }, { from: day(2, 15) }, { rate: newRate(random), note: 'set' })
          expectWrite('set without to', result, 1, 2)
        },
      },
      {
        name: NAMES.noOp,
        run: async () => {
          const id = pick(random, ENTITIES)
          const result = await repository.update({ id }, { from: day(3, 10), to: day(3, 20) }, { rate: builtRate(id, 3) })
          expectWrite('no-op update', result, 0, 0)
        },
      },
      {
        name: NAMES.floor,
        run: async () => {
          // A plain-object named statement, as the repository sends: bench/prepared.ts's String subclass is slow for longer texts.
          await runStatement(db, FLOOR_STATEMENT, [floor.take(), FLOOR_PORTION, newRate(random)])
        },
      },
      ...(periods === undefined ? [] : [periods]),
    ],
    targets: { [NAMES.update]: 2.0 },
    // The target against the periods extension: faster, i.e. a ratio below 1.
    versus: [
      ...(periods === undefined ? [] : [{ name: NAMES.update, of: periods.name, target: 1 }]),
      // How much the statement adds to the bare rows (no target: a measure).
      { name: NAMES.update, of: NAMES.floor },
    ],
  }
}
