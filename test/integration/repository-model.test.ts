import fc from 'fast-check'
import { sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { BitemporalError, InvalidInputError } from '../../src/errors/errors.js'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import type { Portion, Repository, WriteResult } from '../../src/repository/repository.js'
import type { Version } from '../../src/codec/decode-version.js'
import type { NewValues, ValuesPatch } from '../../src/codec/write-values.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable, type TableDefinition } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'
import {
  day,
  instantToMicros,
  LAST_DAY,
  microsecondBefore,
  type ModelOutcome,
  type ModelValues,
  type ModelVersion,
  SYSTEM_TIME_FORMAT,
  TimelineModel,
} from '../support/timeline-model.js'

// Random sequences of all six writes (and bad inputs) on a few keys, checked
// after every step against the reference model of test/support/timeline-model.ts,
// then, at the end of each run, history against the model's snapshots
// (invariant 5) and the invariants of docs/semantics.md §2 by SQL.

const definitionFor = (name: string) => defineTable({ name, key: { id: 'integer' }, values: { rate: 'numeric not null', note: 'text' } })
type Table = ReturnType<typeof definitionFor>
type Values = NewValues<Table>
type Patch = ValuesPatch<Table>

const KEYS = [1, 2, 3] as const
// Few values, so that writes that change nothing happen often. Canonical
// numerics only: '0.5' and '0.50' are equal to PostgreSQL but not as strings.
const RATES = ['1', '2', '0.5'] as const
const NOTES = [null, 'a'] as const

type Key = (typeof KEYS)[number]
type GoodStep =
  | { readonly kind: 'insert'; readonly key: Key; readonly from: number; readonly to: number | undefined; readonly values: Values }
  | { readonly kind: 'set'; readonly key: Key; readonly from: number; readonly to: number; readonly values: Values }
  | { readonly kind: 'setFrom'; readonly key: Key; readonly from: number; readonly values: Values }
  | { readonly kind: 'update'; readonly key: Key; readonly from: number; readonly to: number | undefined; readonly patch: Patch }
  | { readonly kind: 'correct'; readonly key: Key; readonly at: number; readonly patch: Patch }
  | { readonly kind: 'delete'; readonly key: Key; readonly from: number; readonly to: number | undefined }
type Operation = GoodStep['kind']
/** A call that must fail with InvalidInputError and write nothing. Raw, untyped arguments. */
interface BadStep {
  readonly kind: 'bad'
  readonly why: string
  readonly op: Operation
  readonly key: unknown
  readonly portion: Readonly<Record<string, unknown>>
  readonly values: unknown
}
type Step = GoodStep | BadStep

// ---------------------------------------------------------------------------
// Generators

const key = fc.constantFrom(...KEYS)
// Bounds mostly from a coarse grid, so that portions share bounds with existing versions.
const point = fc.oneof(fc.constantFrom(0, 10, 20, 31, 45, LAST_DAY), fc.integer({ min: 0, max: LAST_DAY }))
/** `[from, to)` with `to` undefined for unbounded. */
const portion = fc.tuple(point, fc.option(point, { freq: 3 })).map(([a, b]): { from: number; to: number | undefined } =>
  b === null || a === b ? { from: a, to: undefined } : { from: Math.min(a, b), to: Math.max(a, b) },
)
const boundedPortion = fc
  .tuple(point, point)
  .filter(([a, b]) => a !== b)
  .map(([a, b]) => ({ from: Math.min(a, b), to: Math.max(a, b) }))
const values: fc.Arbitrary<Values> = fc.record({ rate: fc.constantFrom(...RATES), note: fc.constantFrom(...NOTES) }, { requiredKeys: ['rate'] })
const patch: fc.Arbitrary<Patch> = fc.record({ rate: fc.constantFrom(...RATES), note: fc.constantFrom(...NOTES) }, { requiredKeys: [] })

const goodStep: fc.Arbitrary<GoodStep> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), key, p: portion, values }).map(({ kind, key, p, values }) => ({ kind, key, ...p, values })),
  fc.record({ kind: fc.constant('set' as const), key, p: boundedPortion, values }).map(({ kind, key, p, values }) => ({ kind, key, ...p, values })),
  fc.record({ kind: fc.constant('setFrom' as const), key, from: point, values }),
  fc.record({ kind: fc.constant('update' as const), key, p: portion, patch }).map(({ kind, key, p, patch }) => ({ kind, key, ...p, patch })),
  fc.record({ kind: fc.constant('correct' as const), key, at: point, patch }),
  fc.record({ kind: fc.constant('delete' as const), key, p: portion }).map(({ kind, key, p }) => ({ kind, key, ...p })),
)

const IMPOSSIBLE_DATES = ['2023-02-30', '2023-13-01', '2023-02-29', '2023-04-31', '2023-00-10', '2023-01-32', '2023-01-00']
const NOT_DATES: unknown[] = ['tomorrow', '', '2023-1-05', '2023/01/05', '20230105', '2023-01-05T00:00:00Z', ' 2023-01-05', '2023-01-05 ', 'infinity', '0000-01-01', 20230105, true]
const badDate = fc.constantFrom<unknown>(...IMPOSSIBLE_DATES, ...NOT_DATES)
const portionOp = fc.constantFrom<Operation>('insert', 'set', 'update', 'delete')
const valuesFor = (op: Operation): Readonly<Record<string, unknown>> => (op === 'insert' || op === 'set' || op === 'setFrom' ? { rate: '1' } : op === 'delete' ? {} : { rate: '2' })

const badStep: fc.Arbitrary<BadStep> = fc.oneof(
  // Reversed range.
  fc.record({ op: portionOp, key, p: boundedPortion }).map(({ op, key, p }) => ({
    kind: 'bad' as const, why: 'reversed range', op, key: { id: key }, portion: { from: day(p.to), to: day(p.from) }, values: valuesFor(op),
  })),
  // Empty range.
  fc.record({ op: portionOp, key, d: point }).map(({ op, key, d }) => ({
    kind: 'bad' as const, why: 'empty range', op, key: { id: key }, portion: { from: day(d), to: day(d) }, values: valuesFor(op),
  })),
  // A bad `from` (with or without `to`).
  fc.record({ op: portionOp, key, bad: badDate, to: fc.option(point) }).map(({ op, key, bad, to }) => ({
    kind: 'bad' as const, why: 'bad from', op, key: { id: key }, portion: to === null ? { from: bad } : { from: bad, to: day(to) }, values: valuesFor(op),
  })),
  // A bad `to`.
  fc.record({ op: portionOp, key, from: point, bad: badDate }).map(({ op, key, from, bad }) => ({
    kind: 'bad' as const, why: 'bad to', op, key: { id: key }, portion: { from: day(from), to: bad }, values: valuesFor(op),
  })),
  // The timeline change and correct with a bad point (and a missing one).
  fc.record({ op: fc.constantFrom<Operation>('setFrom', 'correct'), key, bad: fc.oneof(badDate, fc.constant(undefined), fc.constant(null)) }).map(({ op, key, bad }) => ({
    kind: 'bad' as const, why: 'bad point', op, key: { id: key }, portion: op === 'correct' ? { at: bad } : { from: bad }, values: valuesFor(op),
  })),
  // Bad values: not a number, null for a not-null column, a missing required column, an unknown column.
  fc
    .record({
      op: fc.constantFrom<Operation>('insert', 'set', 'setFrom', 'update', 'correct'),
      key,
      p: boundedPortion,
      bad: fc.constantFrom<Readonly<Record<string, unknown>>>({ rate: 'abc' }, { rate: null }, { rate: '1', colour: 'red' }, { note: 'a' }, { rate: 1n, note: 5 }),
    })
    .filter(({ op, bad }) => !((op === 'update' || op === 'correct') && Object.keys(bad).length === 1 && Object.hasOwn(bad, 'note')))
    .map(({ op, key, p, bad }) => ({
      kind: 'bad' as const,
      why: 'bad values',
      op,
      key: { id: key },
      portion: op === 'correct' ? { at: day(p.from) } : op === 'setFrom' ? { from: day(p.from) } : { from: day(p.from), to: day(p.to) },
      values: bad,
    })),
  // Bad keys: missing, an unknown column, a value of the wrong type.
  fc.record({ op: fc.constantFrom<Operation>('insert', 'set', 'setFrom', 'update', 'correct', 'delete'), bad: fc.constantFrom<unknown>({}, { id: 1, other: 2 }, { id: '1' }, { id: null }, null) }).map(({ op, bad }) => ({
    kind: 'bad' as const,
    why: 'bad key',
    op,
    key: bad,
    portion: op === 'correct' ? { at: day(0) } : { from: day(0) },
    values: valuesFor(op),
  })),
)

/**
 * Arrays of `inner` generated with at least `min` elements, but shrunk as
 * `inner` shrinks them (down to one step), so a counterexample is short.
 */
class GeneratedAtLeast<T> extends fc.Arbitrary<T[]> {
  constructor(
    readonly inner: fc.Arbitrary<T[]>,
    readonly min: number,
  ) {
    super()
  }

  generate(random: fc.Random, biasFactor: number | undefined): fc.Value<T[]> {
    for (;;) {
      const value = this.inner.generate(random, biasFactor)
      if (value.value.length >= this.min) return value
    }
  }

  canShrinkWithoutContext(value: unknown): value is T[] {
    return this.inner.canShrinkWithoutContext(value)
  }

  shrink(value: T[], context: unknown): fc.Stream<fc.Value<T[]>> {
    return this.inner.shrink(value, context)
  }
}

const step = fc.oneof({ arbitrary: goodStep, weight: 6 }, { arbitrary: badStep, weight: 1 })
/** 30 to 60 steps per run. */
const steps = new GeneratedAtLeast(fc.array(step, { minLength: 1, maxLength: 60, size: 'max' }), 30)

// ---------------------------------------------------------------------------
// Running a step on the library and on the model

type Repo = Repository<Table>

const toModelValues = (v: Values): ModelValues => ({ rate: v.rate, note: v.note ?? null })
const toModelPatch = (p: Patch): ModelValues => {
  const result: Record<string, string | null> = {}
  if (p.rate !== undefined) result['rate'] = p.rate
  if (p.note !== undefined) result['note'] = p.note
  return result
}
const portionOf = (from: number, to: number | undefined): Portion => (to === undefined ? { from: day(from) } : { from: day(from), to: day(to) })

function runOnModel(model: TimelineModel, step: GoodStep): ModelOutcome {
  switch (step.kind) {
    case 'insert':
      return model.insert(step.from, step.to, toModelValues(step.values))
    case 'set':
      return model.set(step.from, step.to, toModelValues(step.values))
    case 'setFrom':
      return model.setFrom(step.from, toModelValues(step.values))
    case 'update':
      return model.update(step.from, step.to, toModelPatch(step.patch))
    case 'correct':
      return model.correct(step.at, toModelPatch(step.patch))
    case 'delete':
      return model.delete(step.from, step.to)
  }
}

function runOnLibrary(repo: Repo, step: GoodStep): Promise<WriteResult> {
  const k = { id: step.key }
  switch (step.kind) {
    case 'insert':
      return repo.insert(k, portionOf(step.from, step.to), step.values)
    case 'set':
      return repo.set(k, { from: day(step.from), to: day(step.to) }, step.values)
    case 'setFrom':
      return repo.set(k, { from: day(step.from) }, step.values)
    case 'update':
      return repo.update(k, portionOf(step.from, step.to), step.patch)
    case 'correct':
      return repo.correct(k, { at: day(step.at) }, step.patch)
    case 'delete':
      return repo.delete(k, portionOf(step.from, step.to))
  }
}

/** Runs a bad call with its raw arguments; returns what it threw (synchronously or as a rejection). */
async function runBad(repo: Repo, step: BadStep): Promise<unknown> {
  const k = step.key as { id: number }
  const p = step.portion as unknown as Portion
  const v = step.values as Values
  try {
    switch (step.op) {
      case 'insert':
        await repo.insert(k, p, v)
        break
      case 'set':
      case 'setFrom':
        await repo.set(k, p, v)
        break
      case 'update':
        await repo.update(k, p, v)
        break
      case 'correct':
        await repo.correct(k, step.portion as unknown as { at: string }, v)
        break
      case 'delete':
        await repo.delete(k, p)
        break
    }
  } catch (error) {
    return error
  }
  return undefined
}

/** A version as the model reports it. */
const asModelVersion = (v: Version<Table>): ModelVersion => ({ from: v.effective.from, to: v.effective.to, values: { rate: v.values.rate, note: v.values.note } })

// ---------------------------------------------------------------------------

describe('writes against the reference model (fast-check)', () => {
  const database = useTestDatabase()
  let runs = 0

  beforeAll(async () => {
    await install(database().db)
  })

  async function countRows(definition: TableDefinition): Promise<number> {
    const result = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(definition.table.name)}`.execute(database().db)
    return result.rows[0]?.n ?? -1
  }

  async function checkInvariantsBySql(definition: TableDefinition, systemTimes: ReadonlySet<string>, totals: { closed: number; inserted: number }): Promise<void> {
    const { db } = database()
    const t = sql.table(definition.table.name)
    const overlapping = await sql<{ n: number }>`
      select count(*)::int as n from ${t} a join ${t} b
        on a.id = b.id and a.ctid < b.ctid and a.effective && b.effective and a.system && b.system`.execute(db)
    expect(overlapping.rows[0]?.n, 'rows of one key overlapping in effective and system time').toBe(0)
    const empty = await sql<{ n: number }>`
      select count(*)::int as n from ${t} where isempty(effective) or isempty(system) or upper(system) <= lower(system)`.execute(db)
    expect(empty.rows[0]?.n, 'rows with an empty range').toBe(0)
    const bounds = await sql<{ lower: string; upper: string | null }>`
      select bitemporal.format_system_time(lower(system)) as lower, bitemporal.format_system_time(upper(system)) as upper from ${t}`.execute(db)
    const lowers = new Set(bounds.rows.map((r) => r.lower))
    const uppers = new Set(bounds.rows.flatMap((r) => (r.upper === null ? [] : [r.upper])))
    // Every row was inserted, and every closed row closed, at a systemTime some write returned.
    expect([...lowers].filter((s) => !systemTimes.has(s)), 'system lower bounds that no write returned').toEqual([])
    expect([...uppers].filter((s) => !systemTimes.has(s)), 'system upper bounds that no write returned').toEqual([])
    // And every returned systemTime is where something was inserted or closed.
    expect([...systemTimes].filter((s) => !lowers.has(s) && !uppers.has(s)), 'systemTimes at which nothing was written').toEqual([])
    // No row was ever deleted: the table holds every row the writes reported inserting, and the closed ones.
    expect(bounds.rows.length, 'rows in the table vs rows the writes reported inserting').toBe(totals.inserted)
    expect(bounds.rows.filter((r) => r.upper !== null).length, 'closed rows vs rows the writes reported closing').toBe(totals.closed)
  }

  async function runSequence(sequence: readonly Step[]): Promise<void> {
    runs++
    const definition = definitionFor(`model_run_${runs}`)
    await createTable(database().db, definition)
    const repo = bitemporal(database().db, definition)
    const models = new Map<Key, TimelineModel>(KEYS.map((k) => [k, new TimelineModel()]))
    const model = (k: Key): TimelineModel => models.get(k) ?? new TimelineModel()
    const snapshot = (): Map<Key, ModelVersion[]> => new Map(KEYS.map((k) => [k, model(k).versions()]))
    /** (systemTime, every key's model timeline just after the write), in order. */
    const recorded: { systemTime: string; timelines: Map<Key, ModelVersion[]> }[] = []
    const totals = { closed: 0, inserted: 0 }

    for (const [index, step] of sequence.entries()) {
      const where = `step ${index}: ${JSON.stringify(step, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`
      if (step.kind === 'bad') {
        const rowsBefore = await countRows(definition)
        const error = await runBad(repo, step)
        expect(error, `${where} must fail with InvalidInputError`).toBeInstanceOf(InvalidInputError)
        expect((error as BitemporalError).code, where).toBe('INVALID_INPUT')
        expect(await countRows(definition), `${where} must write nothing`).toBe(rowsBefore)
        continue
      }
      const k = { id: step.key }
      const historyBefore = await repo.history(k)
      const expected = runOnModel(model(step.key), step)
      let result: WriteResult | undefined
      let failure: unknown
      try {
        result = await runOnLibrary(repo, step)
      } catch (error) {
        failure = error
      }
      if (!expected.ok) {
        expect(failure, `${where} must fail with ${expected.code}`).toBeInstanceOf(BitemporalError)
        expect((failure as BitemporalError).code, where).toBe(expected.code)
        expect(await repo.history(k), `${where} must write nothing`).toEqual(historyBefore)
      } else {
        if (failure !== undefined) throw new Error(`${where} failed: ${failure instanceof Error ? failure.message : JSON.stringify(failure)}`, { cause: failure })
        if (result === undefined) throw new Error(`${where} returned nothing`)
        const historyAfter = await repo.history(k)
        if (!expected.contentChanged) {
          // Invariant 6: a write that changes nothing writes nothing.
          expect(result, `${where} changes nothing`).toEqual({ systemTime: null, closed: 0, inserted: 0 })
          expect(historyAfter, `${where} must leave history as it was`).toEqual(historyBefore)
        } else {
          expect(result.systemTime, where).toMatch(SYSTEM_TIME_FORMAT)
          const systemTime = result.systemTime ?? ''
          const previous = recorded.at(-1)?.systemTime
          if (previous !== undefined) expect(instantToMicros(systemTime) > instantToMicros(previous), `${where}: ${systemTime} after ${previous}`).toBe(true)
          expect({ closed: result.closed, inserted: result.inserted }, `${where}: rows closed and inserted`).toEqual({
            closed: expected.closed,
            inserted: expected.inserted,
          })
          expect(historyAfter.length, `${where}: history grows by the inserted rows`).toBe(historyBefore.length + result.inserted)
          totals.closed += result.closed
          totals.inserted += result.inserted
          recorded.push({ systemTime, timelines: snapshot() })
        }
      }
      // The current timeline, row for row (no noise: no extra cuts, no merged rows).
      expect((await repo.timeline(k)).map(asModelVersion), `${where}: current timeline`).toEqual(model(step.key).versions())
    }

    for (const k of KEYS) {
      expect((await repo.timeline({ id: k })).map(asModelVersion), `key ${k}: current timeline at the end`).toEqual(model(k).versions())
    }
    // Invariant 5: history is reproducible, at each write's systemTime and 1 µs before it.
    for (const [i, { systemTime, timelines }] of recorded.entries()) {
      const before = recorded[i - 1]?.timelines
      for (const k of KEYS) {
        expect((await repo.timeline({ id: k }, { knownAt: systemTime })).map(asModelVersion), `key ${k} known at ${systemTime} (write ${i})`).toEqual(
          timelines.get(k),
        )
        expect((await repo.timeline({ id: k }, { knownAt: microsecondBefore(systemTime) })).map(asModelVersion), `key ${k} known just before ${systemTime}`).toEqual(
          before?.get(k) ?? [],
        )
      }
    }
    await checkInvariantsBySql(definition, new Set(recorded.map((r) => r.systemTime)), totals)
  }

  it(
    'every write matches the model row for row, no-ops write nothing, bad inputs throw INVALID_INPUT, and history replays the model',
    async () => {
      await fc.assert(
        fc.asyncProperty(steps, async (sequence) => {
          await runSequence(sequence)
        }),
        { numRuns: 40 },
      )
    },
    300_000,
  )
})
