import { deepStrictEqual, fail, ok } from 'node:assert/strict'
import { BitemporalError, bitemporal, ImmutableHistoryError, InvalidInputError, mapDatabaseError, OverlapError } from 'bitemporal'
import { sql } from 'kysely'
import type { OpenDatabase } from './drivers.js'
import { STORY_KEY, taxRates } from './story-section.js'

/** What a call threw, or fails if it did not. */
async function thrown(call: () => Promise<unknown>, what: string): Promise<unknown> {
  try {
    await call()
  } catch (error) {
    return error
  }
  return fail(`${what} must throw`)
}

/**
 * Typed errors (docs/semantics.md §3) on this driver: bad input is an
 * InvalidInputError thrown before anything is sent, an overlapping insert an
 * OverlapError, the driver's own errors mapped by SQLSTATE (the exclusion
 * constraint's 23P01 and the history guard's BT001), and nothing written.
 *
 * @example
 * await checkErrors(open) // after runStory(open)
 */
export async function checkErrors(open: OpenDatabase): Promise<void> {
  const rates = bitemporal(open.db, taxRates)
  const before = await rates.history(STORY_KEY)
  const bad: [string, () => Promise<unknown>][] = [
    ['an impossible date', () => rates.set(STORY_KEY, { from: '2023-02-30' }, { rate: '1' })],
    ['a reversed range', () => rates.set(STORY_KEY, { from: '2023-03-01', to: '2023-02-01' }, { rate: '1' })],
    ['a number that is not one', () => rates.set(STORY_KEY, { from: '2023-03-01' }, { rate: 'abc' })],
    ['an unknown key column', () => rates.delete({ ...STORY_KEY, nope: 1 } as typeof STORY_KEY, { from: '2023-03-01' })],
    ['a knownAt that is not an instant', () => rates.asOf(STORY_KEY, { knownAt: 'yesterday' })],
  ]
  for (const [what, call] of bad) {
    const error = await thrown(call, what)
    ok(error instanceof InvalidInputError && error instanceof BitemporalError, `${what}: InvalidInputError, got ${String(error)}`)
    deepStrictEqual(error.code, 'INVALID_INPUT', what)
  }
  ok((await thrown(() => rates.insert(STORY_KEY, { from: '2023-01-01' }, { rate: '1' }), 'an overlapping insert')) instanceof OverlapError, 'insert over a version: OverlapError')
  const loaded = await thrown(() => rates.load([{ key: STORY_KEY, effective: { from: '2023-03-01', to: '2023-04-01' }, values: { rate: '9' } }]), 'load over a version')
  ok(loaded instanceof OverlapError, `load over a version: OverlapError from the driver's 23P01, got ${String(loaded)}`)
  deepStrictEqual(loaded.sqlState, '23P01')
  const guarded = mapDatabaseError(await thrown(() => sql`delete from tax_rates`.execute(open.db), 'a delete of history'))
  ok(guarded instanceof ImmutableHistoryError, `a delete of history: ImmutableHistoryError, got ${String(guarded)}`)
  deepStrictEqual(guarded.sqlState, 'BT001')
  deepStrictEqual(await rates.history(STORY_KEY), before, 'nothing written')
}
