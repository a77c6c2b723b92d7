import type { WriteResult } from '../../../src/repository/repository.js'
import type { Random } from '../../support/seeded-random.js'
import type { LoadRepository } from './load-table.js'

export type Operation = 'insert' | 'set' | 'setFrom' | 'update' | 'correct' | 'delete'

/** One write a worker makes: what the ack log records about it. */
export interface RandomWrite {
  readonly operation: Operation
  readonly key: number
  /** Start of the portion (`at` for correct, `from` for the others). */
  readonly from: string
  /** End of the portion, exclusive; null for unbounded (and for `setFrom`, whose end the server finds). */
  readonly to: string | null
  readonly worker: number
  readonly seq: number
  /** Only `insert` and `set` write it; `update` and `correct` patch worker and seq alone. */
  readonly amount: string | null
}

export interface KeySpace {
  readonly hotKeys: number
  readonly coldKeys: number
}

/** Keys 1..hotKeys are hot; the cold ones follow. */
export function allKeys(space: KeySpace): number[] {
  return Array.from({ length: space.hotKeys + space.coldKeys }, (_, index) => index + 1)
}

const DAYS = 365
const DAY_MS = 86_400_000
const EPOCH_MS = Date.UTC(2024, 0, 1)

/** The date `offset` days after 2024-01-01, as the library takes dates. */
export function dayAt(offset: number): string {
  return new Date(EPOCH_MS + offset * DAY_MS).toISOString().slice(0, 10)
}

// Weights of the operations: mostly changes that keep keys populated, some
// deletes so that gaps (and `correct` on a gap, `NOT_FOUND`) happen too.
const OPERATIONS: readonly (readonly [Operation, number])[] = [
  ['set', 25],
  ['setFrom', 20],
  ['update', 20],
  ['insert', 10],
  ['correct', 10],
  ['delete', 15],
]
const TOTAL_WEIGHT = OPERATIONS.reduce((sum, [, weight]) => sum + weight, 0)

function pick(random: Random): Operation {
  let draw = random() * TOTAL_WEIGHT
  for (const [operation, weight] of OPERATIONS) {
    draw -= weight
    if (draw < 0) return operation
  }
  return 'set'
}

/** Half the writes go to the few hot keys, so writers meet on the same rows all the time. */
export function randomWrite(random: Random, space: KeySpace, worker: number, seq: number): RandomWrite {
  const operation = pick(random)
  const key = random() < 0.5 ? 1 + Math.floor(random() * space.hotKeys) : space.hotKeys + 1 + Math.floor(random() * space.coldKeys)
  const start = Math.floor(random() * DAYS)
  // Short portions for inserts (so some fit into gaps), open ones now and then for the rest.
  const unbounded = operation === 'setFrom' || operation === 'correct' || (operation !== 'insert' && operation !== 'set' && random() < 0.15)
  const to = unbounded ? null : dayAt(start + 1 + Math.floor(random() * (operation === 'insert' ? 10 : 60)))
  const amount = operation === 'insert' || operation === 'set' || operation === 'setFrom' ? String(Math.floor(random() * 10_000) / 100) : null
  return { operation, key, from: dayAt(start), to, worker, seq, amount }
}

/** Runs the write through the repository (bound to the caller's transaction). */
export function applyWrite(repository: LoadRepository, write: RandomWrite): Promise<WriteResult> {
  const key = { id: write.key }
  const values = { worker: write.worker, seq: write.seq, amount: write.amount }
  const patch = { worker: write.worker, seq: write.seq }
  switch (write.operation) {
    case 'insert':
      return repository.insert(key, { from: write.from, to: write.to }, values)
    case 'set':
      return repository.set(key, { from: write.from, to: write.to }, values)
    case 'setFrom':
      return repository.set(key, { from: write.from }, values)
    case 'update':
      return repository.update(key, { from: write.from, to: write.to }, patch)
    case 'correct':
      return repository.correct(key, { at: write.from }, patch)
    case 'delete':
      return repository.delete(key, { from: write.from, to: write.to })
  }
}
