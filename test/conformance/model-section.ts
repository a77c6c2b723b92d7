import { deepStrictEqual, ok } from 'node:assert/strict'
import { BitemporalError, bitemporal, createTable, defineTable, type Portion, type Version, type WriteResult } from 'bitemporal'
import fc from 'fast-check'
import { day, instantToMicros, LAST_DAY, microsecondBefore, type ModelOutcome, type ModelValues, type ModelVersion, TimelineModel } from '../support/timeline-model.js'
import type { OpenDatabase } from './drivers.js'

// The six writes of docs/semantics.md §3 in random sequences on a few keys,
// each checked against the reference model of test/support/timeline-model.ts
// (the integration suite's, reused), then every recorded system time replayed
// (invariant 5, docs/semantics.md §2). A smaller cousin of
// test/integration/repository-model.test.ts: a few runs per driver, so that
// CI stays fast; the integration suite runs the model at length.

const definitionFor = (name: string) => defineTable({ name, key: { id: 'integer' }, values: { rate: 'numeric not null', note: 'text' } })
type Table = ReturnType<typeof definitionFor>

const KEYS = [1, 2] as const
type Key = (typeof KEYS)[number]
type Values = { rate: string; note?: string | null }
type Patch = { rate?: string; note?: string | null }
type Step =
  | { readonly kind: 'insert' | 'update' | 'delete'; readonly key: Key; readonly from: number; readonly to: number | undefined; readonly values: Values; readonly patch: Patch }
  | { readonly kind: 'set'; readonly key: Key; readonly from: number; readonly to: number | undefined; readonly values: Values; readonly patch: Patch }
  | { readonly kind: 'correct'; readonly key: Key; readonly from: number; readonly to: undefined; readonly values: Values; readonly patch: Patch }

const point = fc.oneof(fc.constantFrom(0, 10, 20, 31, 45, LAST_DAY), fc.integer({ min: 0, max: LAST_DAY }))
const values: fc.Arbitrary<Values> = fc.record({ rate: fc.constantFrom('1', '2', '0.5'), note: fc.constantFrom(null, 'a') }, { requiredKeys: ['rate'] })
const patch: fc.Arbitrary<Patch> = fc.record({ rate: fc.constantFrom('1', '2', '0.5'), note: fc.constantFrom(null, 'a') }, { requiredKeys: [] })
/** `set` without `to` is the timeline change (`setFrom` in the model); `correct` uses `from` as its point. */
const step: fc.Arbitrary<Step> = fc
  .record({
    kind: fc.constantFrom('insert', 'set', 'update', 'correct', 'delete'),
    key: fc.constantFrom(...KEYS),
    a: point,
    b: fc.option(point, { freq: 3 }),
    values,
    patch,
  })
  .map(({ kind, key, a, b, values, patch }): Step => {
    const to = kind === 'correct' || b === null || a === b ? undefined : Math.max(a, b)
    return { kind, key, from: to === undefined ? a : Math.min(a, b ?? a), to, values, patch } as Step
  })

const modelValues = (v: Values): ModelValues => ({ rate: v.rate, note: v.note ?? null })
const modelPatch = (p: Patch): ModelValues => ({ ...(p.rate === undefined ? {} : { rate: p.rate }), ...(p.note === undefined ? {} : { note: p.note }) })

function onModel(model: TimelineModel, s: Step): ModelOutcome {
  switch (s.kind) {
    case 'insert':
      return model.insert(s.from, s.to, modelValues(s.values))
    case 'set':
      return s.to === undefined ? model.setFrom(s.from, modelValues(s.values)) : model.set(s.from, s.to, modelValues(s.values))
    case 'update':
      return model.update(s.from, s.to, modelPatch(s.patch))
    case 'correct':
      return model.correct(s.from, modelPatch(s.patch))
    case 'delete':
      return model.delete(s.from, s.to)
  }
}

function onLibrary(repo: ReturnType<typeof bitemporal<Table>>, s: Step): Promise<WriteResult> {
  const key = { id: s.key }
  const portion: Portion = s.to === undefined ? { from: day(s.from) } : { from: day(s.from), to: day(s.to) }
  switch (s.kind) {
    case 'insert':
      return repo.insert(key, portion, s.values)
    case 'set':
      return repo.set(key, portion, s.values)
    case 'update':
      return repo.update(key, portion, s.patch)
    case 'correct':
      return repo.correct(key, { at: day(s.from) }, s.patch)
    case 'delete':
      return repo.delete(key, portion)
  }
}

const asModel = (v: Version<Table>): ModelVersion => ({ from: v.effective.from, to: v.effective.to, values: { rate: v.values.rate, note: v.values.note } })

/**
 * Runs `numRuns` random sequences of the six writes on fresh tables and
 * checks each against the model; returns how many writes it made.
 *
 * @example
 * await checkModel(open, 4)
 */
export async function checkModel(open: OpenDatabase, numRuns: number): Promise<number> {
  let runs = 0
  let writes = 0
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 15, maxLength: 30 }), async (sequence) => {
      const definition = definitionFor(`model_${String(++runs)}`)
      await createTable(open.db, definition)
      const repo = bitemporal(open.db, definition)
      const models = new Map<Key, TimelineModel>(KEYS.map((key) => [key, new TimelineModel()]))
      const model = (key: Key): TimelineModel => models.get(key) ?? new TimelineModel()
      const recorded: { systemTime: string; timelines: Map<Key, ModelVersion[]> }[] = []
      for (const [index, s] of sequence.entries()) {
        const where = `step ${String(index)}: ${JSON.stringify(s)}`
        const expected = onModel(model(s.key), s)
        const outcome = await onLibrary(repo, s).then(
          (result) => ({ result }),
          (error: unknown) => ({ error }),
        )
        if (!expected.ok) {
          ok('error' in outcome && outcome.error instanceof BitemporalError && outcome.error.code === expected.code, `${where} must fail with ${expected.code}`)
        } else {
          if ('error' in outcome) throw new Error(`${where} failed: ${String(outcome.error)}`, { cause: outcome.error })
          const { result } = outcome
          if (!expected.contentChanged) deepStrictEqual(result, { systemTime: null, closed: 0, inserted: 0 }, `${where} changes nothing`)
          else {
            deepStrictEqual({ closed: result.closed, inserted: result.inserted }, { closed: expected.closed, inserted: expected.inserted }, where)
            const previous = recorded.at(-1)?.systemTime
            ok(previous === undefined || instantToMicros(result.systemTime ?? '') > instantToMicros(previous), `${where}: system time after ${String(previous)}`)
            recorded.push({ systemTime: result.systemTime ?? '', timelines: new Map(KEYS.map((key) => [key, model(key).versions()])) })
            writes++
          }
        }
        deepStrictEqual((await repo.timeline({ id: s.key })).map(asModel), model(s.key).versions(), `${where}: current timeline`)
      }
      // Invariant 5: at each recorded system time, and 1 µs before it, the timelines the model had then.
      for (const [index, { systemTime, timelines }] of recorded.entries()) {
        for (const key of KEYS) {
          deepStrictEqual((await repo.timeline({ id: key }, { knownAt: systemTime })).map(asModel), timelines.get(key), `key ${String(key)} known at write ${String(index)}`)
          const before = recorded[index - 1]?.timelines.get(key) ?? []
          deepStrictEqual((await repo.timeline({ id: key }, { knownAt: microsecondBefore(systemTime) })).map(asModel), before, `key ${String(key)} known just before write ${String(index)}`)
        }
      }
    }),
    { numRuns },
  )
  return writes
}
