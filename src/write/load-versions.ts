import type { AnyKysely } from '../any-kysely.js'
import { describeValue } from '../errors/describe-value.js'
import { BitemporalError, InvalidInputError } from '../errors/errors.js'
import { mapDatabaseError } from '../errors/map-database-error.js'
import { runStatement } from '../statement/run-statement.js'
import { NamedStatement } from '../statement/named-statement.js'
import type { TableSqlContext } from '../statement/table-sql-context.js'
import { encodeAudit } from '../codec/encode-audit.js'
import { encodeKey } from '../codec/encode-key.js'
import { encodeValues } from '../codec/encode-values.js'
import { portionBounds } from '../codec/encode-portion.js'
import { isPlainObject } from '../values/is-plain-object.js'
import { unknownKeys, unknownKeysText } from '../values/unknown-keys.js'
import { loadParametersPerVersion, loadSql, maxLoadBatch } from './load-sql.js'

/** Options of `repo.load`. */
export interface LoadOptions {
  /** Versions per statement (one round trip each). Default: `1000`, at most what 65,535 parameters allow. */
  readonly batchSize?: number
  /** Called after each batch with the number of versions inserted so far. Default: none. */
  readonly onProgress?: (progress: { readonly inserted: number }) => void
  /** Who loads (required on tables with `audit: true`), recorded on every row. */
  readonly actor?: string
  /** Why (recorded on tables with `audit: true`). */
  readonly reason?: string
  /** Prepare the full-batch statement once per connection. Default: the repository's `prepare`. */
  readonly prepare?: boolean
}

/** What a load did: every version inserted at one system time (`null` if the source was empty). */
export interface LoadResult {
  readonly systemTime: string | null
  readonly inserted: number
}

const VERSION_FIELDS: readonly string[] = ['key', 'effective', 'values']

/** One version's parameters, checked: key, `$present, $value` per value column, effective from and to. */
function encodeVersion(context: TableSqlContext, version: unknown, index: number): unknown[] {
  const where = `load: version ${String(index)}`
  if (!isPlainObject(version)) {
    throw new InvalidInputError(`${where} must be an object { key, effective: { from, to? }, values }`)
  }
  const unknown = unknownKeys(version, VERSION_FIELDS)
  if (unknown.length > 0) {
    throw new InvalidInputError(`${where}: ${unknownKeysText(unknown)}; a version is { key, effective: { from, to? }, values }`)
  }
  const effective = portionBounds(context, version['effective'], where, 'effective')
  return [...encodeKey(context, version['key']), ...encodeValues(context, version['values'], true, where), effective.from, effective.to]
}

/** The items of `source`, each error it throws reported to `thrown` first. */
async function* sourceOwnErrors(source: Iterable<unknown> | AsyncIterable<unknown>, thrown: (error: object) => void): AsyncGenerator {
  try {
    for await (const item of source) yield item
  } catch (error) {
    if (typeof error === 'object' && error !== null) thrown(error)
    throw error
  }
}

/** What a load in the caller's transaction sends around its batches; without parameters, so one round trip each. */
const SAVEPOINT = 'savepoint bitemporal_load'
const UNDO = 'rollback to savepoint bitemporal_load; release savepoint bitemporal_load'
const RELEASE = 'release savepoint bitemporal_load'

/**
 * Inserts historical versions of many keys in batches, all in one
 * transaction (the caller's, or one of its own): all or nothing, one system
 * time. Each version is checked as `insert` checks it before its batch is
 * sent; an overlap with a current version, or between two loaded versions,
 * is an `OverlapError` and nothing is written.
 *
 * In the caller's transaction the batches run inside a savepoint, set just
 * before the first batch is sent: a bad version found after earlier batches
 * went out, a source that throws midway, an `onProgress` that throws, or an
 * error from the database rolls back to it, so a caller that catches the
 * error and commits commits nothing of the load (docs/semantics.md §3). Its
 * own transaction needs none: the error rolls the whole of it back.
 *
 * @example
 * await db.transaction().execute(async (trx) => {
 *   await loadVersions(trx, context, rows, {}, false) // savepoint, batches, release
 * })
 */
export async function loadVersions(
  db: AnyKysely,
  context: TableSqlContext,
  source: Iterable<unknown> | AsyncIterable<unknown>,
  options: LoadOptions,
  prepare: boolean,
): Promise<LoadResult> {
  const limit = maxLoadBatch(context)
  const batchSize = options.batchSize ?? Math.min(1000, limit)
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > limit) {
    throw new InvalidInputError(`load: batchSize must be a whole number from 1 to ${String(limit)} for "${context.definition.name}", got ${describeValue(batchSize)}`)
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new InvalidInputError('load: onProgress must be a function')
  }
  const audit = encodeAudit(context, options)
  const isIterable = (value: unknown): boolean =>
    typeof value === 'object' && value !== null && (Symbol.iterator in value || Symbol.asyncIterator in value)
  if (!isIterable(source)) throw new InvalidInputError('load takes an array or (async) iterable of versions { key, effective, values }')

  const fullBatch = loadSql(context, batchSize)
  const fullStatement = (options.prepare ?? prepare) ? new NamedStatement(fullBatch) : fullBatch
  const run = async (trx: AnyKysely, inSavepoint: boolean): Promise<LoadResult> => {
    let inserted = 0
    let systemTime: string | null = null
    let batch: unknown[] = []
    let index = 0
    // Set lazily: a source that is empty, or bad from its first batch, costs no round trip.
    const savepoint = { set: false }
    const flush = async (): Promise<void> => {
      const count = batch.length / loadParametersPerVersion(context)
      if (count === 0) return
      if (inSavepoint && !savepoint.set) {
        await runStatement(trx, SAVEPOINT, [])
        savepoint.set = true
      }
      const statement = count === batchSize ? fullStatement : loadSql(context, count)
      const [row] = await runStatement(trx, statement, [...batch, ...audit])
      batch = []
      inserted += Number(row?.['inserted'])
      systemTime = String(row?.['system_time'])
      options.onProgress?.({ inserted })
    }
    try {
      for await (const version of sourceOwnErrors(source, (error) => sourceErrors.add(error))) {
        batch.push(...encodeVersion(context, version, index++))
        if (batch.length === batchSize * loadParametersPerVersion(context)) await flush()
      }
      await flush()
    } catch (error) {
      if (savepoint.set) {
        // If even this fails the connection is gone, and the caller's commit fails with it.
        await runStatement(trx, UNDO, []).catch(() => undefined)
      }
      throw error
    }
    if (savepoint.set) await runStatement(trx, RELEASE, [])
    return Object.freeze({ systemTime, inserted })
  }
  // What the caller's source throws is theirs, and goes through untouched;
  // the rest came from the database, whichever driver raised it.
  const sourceErrors = new WeakSet<object>()
  try {
    return db.isTransaction ? await run(db, true) : await db.transaction().execute((trx) => run(trx, false))
  } catch (error) {
    throw typeof error !== 'object' || error === null || sourceErrors.has(error) || error instanceof BitemporalError ? error : mapDatabaseError(error, { table: context.definition.name })
  }
}
