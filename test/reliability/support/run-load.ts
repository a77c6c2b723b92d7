import { setTimeout as delay } from 'node:timers/promises'
import { sql } from 'kysely'
import { BitemporalError, ConcurrentWriteError } from '../../../src/errors/errors.js'
import { bitemporal } from '../../../src/repository/bitemporal.js'
import type { WriteResult } from '../../../src/repository/repository.js'
import { transaction, type TransactionOptions } from '../../../src/transaction/transaction.js'
import { type Random, seededRandom } from '../../support/seeded-random.js'
import { type Db, loadTable } from './load-table.js'
import { applyWrite, type KeySpace, type RandomWrite, randomWrite } from './random-write.js'

export interface LoadOptions extends KeySpace {
  readonly workers: number
  readonly durationMs: number
  readonly seed: number
  /**
   * Per transaction, the chance of running it under a 1 ms `lock_timeout`,
   * or a 1 ms `statement_timeout` (SET LOCAL): the faults scenario makes
   * writes that wait for a hot key's lock give up half-way.
   */
  readonly lockTimeoutChance?: number
  readonly statementTimeoutChance?: number
  /** Retries of the transaction helper. */
  readonly retries?: number
  /** Called for each write whose COMMIT returned to the client. */
  readonly onCommitted?: (write: RandomWrite) => void
}

/** What the workers saw from the client side. The ack log says what the server committed. */
export interface LoadStats {
  readonly transactions: number
  /** COMMIT returned to the client. */
  readonly committed: number
  /** Committed writes that changed nothing (`systemTime: null`). */
  readonly noOps: number
  /** `retries` of the transaction helper (each one a class 40 error), by SQLSTATE. */
  readonly retries: Record<string, number>
  /** Retries of an error that was not safe to retry (see isSafeToRetry): must stay empty. */
  readonly unsafeRetries: string[]
  /** Transactions that ended with an error, by `CODE SQLSTATE` (e.g. `NOT_FOUND`, `DATABASE_ERROR 57P01`). */
  readonly failures: Record<string, number>
  /** Errors that were not a BitemporalError, with where they came from: must stay empty. */
  readonly untyped: string[]
  /** The first message of each kind of failure, to tell what a count means. */
  readonly examples: Record<string, string>
  readonly elapsedMs: number
}

/** An error of one of the suite's own statements (the ack insert, SET LOCAL): not the library's to type. */
class SuiteStatementError extends Error {}

async function suiteStatement(run: () => Promise<unknown>): Promise<void> {
  try {
    await run()
  } catch (error) {
    throw new SuiteStatementError('a statement of the suite failed', { cause: error })
  }
}

function bump(counts: Record<string, number>, name: string): void {
  counts[name] = (counts[name] ?? 0) + 1
}

function label(error: BitemporalError): string {
  return error.sqlState === undefined ? error.code : `${error.code} ${error.sqlState}`
}

/**
 * N workers, each with its own seeded random stream, write until the time is
 * up. Every write runs in `transaction(db, fn)` together with its ack row.
 */
export async function runLoad(db: Db, options: LoadOptions): Promise<LoadStats> {
  const stats = {
    transactions: 0,
    committed: 0,
    noOps: 0,
    retries: {} as Record<string, number>,
    unsafeRetries: [] as string[],
    failures: {} as Record<string, number>,
    untyped: [] as string[],
    examples: {} as Record<string, string>,
  }
  const started = Date.now()
  const deadline = started + options.durationMs

  const worker = async (id: number): Promise<void> => {
    const random = seededRandom(options.seed * 1_000 + id)
    for (let seq = 1; Date.now() < deadline; seq++) {
      const write = randomWrite(random, options, id, seq)
      stats.transactions++
      try {
        const result = await transaction(db, (trx) => writeAndAck(trx, write, random, options), {
          retries: options.retries ?? 8,
          onRetry: (error) => {
            bump(stats.retries, error.sqlState ?? 'none')
            if (!isSafeToRetry(error)) stats.unsafeRetries.push(`${label(error)}: ${error.message}`)
          },
        })
        stats.committed++
        if (result.systemTime === null) stats.noOps++
        options.onCommitted?.(write)
      } catch (error) {
        const name = failureName(error)
        bump(stats.failures, name)
        stats.examples[name] ??= error instanceof Error ? error.message : String(error)
        if (name === 'untyped') stats.untyped.push(`${write.operation}: ${String(error)}`)
        // While the server is down every attempt fails at once; pausing keeps the worker from spinning.
        if (name.startsWith('DATABASE_ERROR') || name.startsWith('suite statement')) await delay(10)
      }
    }
  }
  await Promise.all(Array.from({ length: options.workers }, (_, index) => worker(index + 1)))
  return { ...stats, elapsedMs: Date.now() - started }
}

/**
 * What the helper may run again: a ConcurrentWriteError from SQLSTATE class
 * 40, or from 23P01, the exclusion constraint catching a version a concurrent
 * transaction inserted (the repository turns that into a ConcurrentWriteError).
 * Either way the statement failed, the attempt rolled back, nothing of it is
 * left. A terminated connection, a timeout or a cancel must never be retried:
 * the client cannot know whether the COMMIT happened.
 */
function isSafeToRetry(error: BitemporalError): boolean {
  const state = error.sqlState ?? ''
  return error instanceof ConcurrentWriteError && error.retryable && (state.startsWith('40') || state === '23P01')
}

/** `CODE SQLSTATE` of a library error; `suite statement …` for the suite's own statements; else `untyped`. */
function failureName(error: unknown): string {
  if (error instanceof BitemporalError) return label(error)
  if (error instanceof SuiteStatementError) {
    const code = (error.cause as { code?: unknown } | undefined)?.code
    return `suite statement ${typeof code === 'string' ? code : 'connection'}`
  }
  return 'untyped'
}

/** Hooks of {@link ackedWrite}: the faults scenario strikes at a chosen moment. */
export interface AckedWriteOptions extends TransactionOptions {
  /** Runs after the write and its ack, before COMMIT. */
  readonly beforeCommit?: () => Promise<void>
}

/** One acknowledged write, as a worker makes it, in `transaction(db, fn)`. */
export function ackedWrite(db: Db, write: RandomWrite, options: AckedWriteOptions = {}): Promise<WriteResult> {
  const { beforeCommit, ...transactionOptions } = options
  return transaction(
    db,
    async (trx) => {
      const result = await writeAndAck(trx, write, () => 1, {})
      await beforeCommit?.()
      return result
    },
    transactionOptions,
  )
}

export async function writeAndAck(trx: Db, write: RandomWrite, random: Random, options: Partial<LoadOptions>): Promise<WriteResult> {
  const draw = random()
  const lockTimeout = draw < (options.lockTimeoutChance ?? 0)
  if (lockTimeout || draw < (options.lockTimeoutChance ?? 0) + (options.statementTimeoutChance ?? 0)) {
    const setting = lockTimeout ? 'lock_timeout' : 'statement_timeout'
    await suiteStatement(() => sql`select set_config(${setting}, '1ms', true)`.execute(trx))
  }
  const result = await applyWrite(bitemporal(trx, loadTable), write)
  await suiteStatement(
    () => sql`
      insert into ack_log (worker, seq, key, operation, portion_from, portion_to, value_worker, value_seq, amount,
                           system_time, system_at, transaction_at, closed, inserted)
      values (${write.worker}, ${write.seq}, ${write.key}, ${write.operation}, ${write.from}::date, ${write.to}::date,
              ${write.operation === 'delete' ? null : write.worker}, ${write.operation === 'delete' ? null : write.seq},
              ${write.amount}::numeric, ${result.systemTime}::text, ${result.systemTime}::timestamptz at time zone 'UTC',
              bitemporal.system_time(), ${result.closed}, ${result.inserted})`.execute(trx),
  )
  return result
}

/** Writes per second the client saw committed. */
export function opsPerSecond(stats: LoadStats): number {
  return Math.round((stats.committed / stats.elapsedMs) * 1_000)
}
