import { bitemporal, createTable, defineTable } from '../src/index.js'
import { countingPool, statementKind } from '../test/support/counting-pool.js'

/** The statements one call sent to the server, counted at the driver. */
export interface RoundTripRow {
  readonly operation: string
  readonly statements: number
  /** The first word of each statement (`with`, `select`, `begin`, …). */
  readonly kinds: readonly string[]
  /** How many there must be, where the issue says so (a single write: 1). */
  readonly target?: number
}

const trips = defineTable({ name: 'round_trips', key: { id: 'integer' }, values: { rate: 'numeric not null', note: 'text' } })

/** Versions loaded in the `load` row: three batches of the default 1,000. */
const LOADED = 2500

/**
 * Counts what each write (and, for comparison, each read and a bulk load)
 * sends, on a pool of one connection whose client records every query, as
 * `test/support/counting-pool.ts` does for the tests: the library cannot
 * send anything that is not seen there. Each write runs outside a
 * transaction, as a caller's single write would.
 */
export async function roundTrips(url: string): Promise<RoundTripRow[]> {
  const counting = countingPool({ connectionString: url, max: 1 })
  try {
    await createTable(counting.db, trips)
    const repository = bitemporal(counting.db, trips)
    const key = { id: 1 }
    const rows: RoundTripRow[] = []
    const count = async (operation: string, run: () => Promise<unknown>, target?: number): Promise<void> => {
      const { sent } = await counting.count(run)
      rows.push({ operation, statements: sent.length, kinds: sent.map(statementKind), ...(target === undefined ? {} : { target }) })
    }
    await count('insert', () => repository.insert(key, { from: '2024-01-01', to: '2024-06-01' }, { rate: '1' }), 1)
    await count('set with to', () => repository.set(key, { from: '2024-02-01', to: '2024-03-01' }, { rate: '2' }), 1)
    await count('set without to (timeline change)', () => repository.set(key, { from: '2024-04-01' }, { rate: '3' }), 1)
    await count('update (split inside a version)', () => repository.update(key, { from: '2024-01-10', to: '2024-01-20' }, { rate: '4' }), 1)
    await count('correct', () => repository.correct(key, { at: '2024-02-15' }, { note: 'corrected' }), 1)
    await count('delete of a portion', () => repository.delete(key, { from: '2024-03-10', to: '2024-03-12' }), 1)
    await count('no-op update (writes nothing)', () => repository.update(key, { from: '2024-02-01', to: '2024-03-01' }, { rate: '2' }), 1)
    // lastChange is a read of its own, before the write that is counted.
    const expect = await repository.lastChange(key)
    await count('update with expect (optimistic check)', () => repository.update(key, { from: '2024-05-01', to: '2024-05-10' }, { rate: '5' }, { expect: expect ?? '' }), 1)
    await count('delete (terminate)', () => repository.delete(key, { from: '2024-05-20' }), 1)
    await count('asOf', () => repository.asOf(key, { validAt: '2024-02-15' }))
    await count('timeline', () => repository.timeline(key))
    await count('history', () => repository.history(key))
    const versions = Array.from({ length: LOADED }, (_, i) => ({ key: { id: 100 + i }, effective: { from: '2024-01-01' }, values: { rate: '1' } }))
    await count(`load of ${String(LOADED)} versions (batches of 1,000, one transaction)`, () => repository.load(versions))
    return rows
  } finally {
    await counting.end()
  }
}
