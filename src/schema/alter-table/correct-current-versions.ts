import { CompiledQuery } from 'kysely'
import type { AnyKysely } from '../../any-kysely.js'
import { describeValue } from '../../errors/describe-value.js'
import { ConcurrentWriteError, InvalidInputError } from '../../errors/errors.js'
import { mapDatabaseError } from '../../errors/map-database-error.js'
import { assertDefinition } from '../assert-definition.js'
import { isPlainObject } from '../../values/is-plain-object.js'
import { unknownKeys, unknownKeysText } from '../../values/unknown-keys.js'
import type { ColumnDefinition, TableDefinition } from '../define-table.js'
import { correctCurrentVersionsSql, type CorrectCurrentVersionsSql } from './correct-current-versions-sql.js'

/** What {@link correctCurrentVersions} takes besides the database and the definition. */
export interface CorrectCurrentVersionsOptions {
  /** The value column whose default the current versions receive; the definition gives it a default. */
  readonly column: string
  /** Who makes the correction: required on tables with `audit: true`, refused on others. */
  readonly actor?: string
  /** Why (recorded on tables with `audit: true`). */
  readonly reason?: string | null
  /** Keys per batch, each batch a transaction of its own. Default: `1000`. */
  readonly batchSize?: number
  /** Called after each batch commits. Default: none. */
  readonly onProgress?: (progress: CorrectCurrentVersionsProgress) => void
}

/** What `onProgress` gets after each batch. */
export interface CorrectCurrentVersionsProgress {
  /** Keys corrected so far by this run. */
  readonly done: number
  /** Keys this run found to correct when it started (more, if writers left more meanwhile). */
  readonly total: number
}

/** What {@link correctCurrentVersions} did. */
export interface CorrectCurrentVersionsResult {
  /** Keys whose current versions were corrected. */
  readonly keys: number
  /** Versions closed and inserted again with the value. */
  readonly versions: number
  /** Batches committed. */
  readonly batches: number
}

const OPTIONS = ['column', 'actor', 'reason', 'batchSize', 'onProgress'] as const
const DEFAULT_BATCH_SIZE = 1000
// A pass over the keys leaves out a key that a later-started transaction
// wrote while its batch waited; the next pass takes it. Writers that keep
// beating every pass are a hot key: give up, typed, and let a run later go on.
const MAX_PASSES = 5
// A batch that meets a deadlock or a lost connection runs again before the correction gives up.
const BATCH_ATTEMPTS = 3

interface CheckedOptions {
  readonly column: ColumnDefinition
  readonly audit: readonly unknown[]
  readonly batchSize: number
  readonly onProgress: ((progress: CorrectCurrentVersionsProgress) => void) | undefined
}

/**
 * The "recorded correction" reading of a default added to a table that
 * holds history (docs/semantics.md §5a): every CURRENT version (open in
 * system time) whose `column` is null is closed at a system time `T` of its
 * own and inserted again, same key, values and valid time, with the
 * column's default; on audited tables with `closed_by`/`closed_reason` and
 * `recorded_by`/`recorded_reason` set to `actor`/`reason`. History keeps
 * reading null: a read `knownAt` before `T` shows the versions as they were.
 *
 * It runs after the DDL that added the column (and set its default) has
 * committed, in batches of `batchSize` keys, each batch a READ COMMITTED
 * transaction of its own that first takes the keys' advisory locks, the
 * same locks every write takes, and then reads and corrects them in a fresh
 * snapshot, so no concurrent write is lost and every conflict a writer
 * meets is the usual `ConcurrentWriteError`, retried. A key written by a
 * transaction that started after the batch's `T` is left to a later batch.
 * Resumable: a run corrects only current versions still null, so after an
 * interruption run it again; after it finished, a run does nothing, unless
 * a write has since stored a null in the column (it would be corrected too).
 *
 * `db` must be a Kysely instance, not a transaction. `alterTable` calls it
 * with `{ defaults: { <column>: 'current-versions' } }`; call it yourself to
 * finish a correction that was interrupted.
 *
 * @example
 * ```ts
 * await correctCurrentVersions(db, prices, { column: 'currency', actor: 'migration 42', reason: 'prices are in USD',
 *   onProgress: ({ done, total }) => console.log(`${done}/${total}`) })
 * // { keys: 1200, versions: 1350, batches: 2 }
 * ```
 * Each batch sends (see correctCurrentVersionsSql):
 * ```sql
 * start transaction isolation level read committed;
 * with picked as (
 *   select distinct t."sku" from "prices" as t
 *   where upper_inf(t."system") and t."currency" is null
 *     and <after the last key>
 *   order by t."sku"
 *   limit $2::text::integer
 * ),
 * locked as materialized (
 *   select p.*, pg_advisory_xact_lock(hash_record_extended(row('"prices"'::regclass::oid, p."sku"), 0)) as bt$locked
 *   from picked p
 *   order by p."sku"
 * )
 * select json_agg(json_build_array(l."sku"::text) order by l."sku")::text as locked from locked l;
 * with locked as (…), ready as materialized (…),
 *   closed as (update "prices" as t set "system" = tsrange(lower(t."system"), bitemporal.system_time(), '[)') …),
 *   inserted as (insert into "prices" (…, "currency", …) select …, 'USD', … from closed c …) select …;
 * commit;
 * ```
 */
export async function correctCurrentVersions(
  db: AnyKysely,
  definition: TableDefinition,
  options: CorrectCurrentVersionsOptions,
): Promise<CorrectCurrentVersionsResult> {
  assertDefinition(definition, 'correctCurrentVersions')
  const checked = checkOptions(definition, options)
  if (typeof (db as Partial<AnyKysely> | null)?.transaction !== 'function' || db.isTransaction) {
    throw new InvalidInputError(
      'correctCurrentVersions takes a Kysely instance, not a transaction: each batch commits in a transaction of its own. Run it after the transaction that added the column.',
    )
  }
  const statements = correctCurrentVersionsSql(definition, checked.column)
  const plain = db.withoutPlugins()
  try {
    const counted = await plain.executeQuery<{ keys: string }>(CompiledQuery.raw(statements.countKeys))
    const total = Number(counted.rows[0]?.keys ?? 0)
    return await correctInPasses(plain, statements, checked, total)
  } catch (error) {
    throw mapDatabaseError(error)
  }
}

async function correctInPasses(db: AnyKysely, statements: CorrectCurrentVersionsSql, options: CheckedOptions, total: number): Promise<CorrectCurrentVersionsResult> {
  let [keys, versions, batches] = [0, 0, 0]
  for (let pass = 1; pass <= MAX_PASSES; pass++) {
    let after: string | null = null
    let skipped = 0
    for (;;) {
      const batch = await runBatch(db, statements, options, after)
      if (batch === undefined) break
      after = batch.last
      skipped += batch.skipped
      keys += batch.keys
      versions += batch.versions
      batches += 1
      options.onProgress?.({ done: keys, total: Math.max(total, keys) })
    }
    if (skipped === 0) return Object.freeze({ keys, versions, batches })
  }
  throw new ConcurrentWriteError(
    `correctCurrentVersions: keys were written by later transactions during each of ${String(MAX_PASSES)} passes; ` +
      `${String(keys)} keys were corrected; run it again to correct the rest`,
  )
}

interface BatchOutcome {
  readonly last: string
  readonly keys: number
  readonly versions: number
  readonly skipped: number
}

/** One batch in its own transaction; `undefined` when no key after `after` is left. */
async function runBatch(db: AnyKysely, statements: CorrectCurrentVersionsSql, options: CheckedOptions, after: string | null): Promise<BatchOutcome | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db
        .transaction()
        .setIsolationLevel('read committed')
        .execute(async (trx) => {
          const locked = (await trx.executeQuery<{ locked: string | null }>(CompiledQuery.raw(statements.lockKeys, [after, String(options.batchSize)]))).rows[0]?.locked ?? null
          if (locked === null) return undefined
          const lockedKeys = JSON.parse(locked) as unknown[]
          const result = await trx.executeQuery<{ keys: string; versions: string; skipped: string }>(
            CompiledQuery.raw(statements.correctKeys, [locked, ...options.audit]),
          )
          const row = result.rows[0]
          return {
            last: JSON.stringify(lockedKeys[lockedKeys.length - 1]),
            keys: Number(row?.keys ?? 0),
            versions: Number(row?.versions ?? 0),
            skipped: Number(row?.skipped ?? 0),
          }
        })
    } catch (error) {
      const mapped = mapDatabaseError(error)
      if (!mapped.retryable || attempt >= BATCH_ATTEMPTS) throw mapped
    }
  }
}

function checkOptions(definition: TableDefinition, options: unknown): CheckedOptions {
  const what = 'correctCurrentVersions'
  if (!isPlainObject(options)) throw new InvalidInputError(`${what} takes options { column, actor?, reason?, batchSize?, onProgress? }`)
  const unknown = unknownKeys(options, OPTIONS)
  if (unknown.length > 0) throw new InvalidInputError(`${what}: ${unknownKeysText(unknown, 'option')}; the options are ${OPTIONS.join(', ')}`)
  const name = options['column']
  const column = definition.valueColumns.find((candidate) => candidate.name === name)
  if (column === undefined) {
    throw new InvalidInputError(
      `${what}: column must name a value column of "${definition.name}" (${definition.valueColumns.map((c) => c.name).join(', ')}), got ${describeValue(name)}`,
    )
  }
  if (column.default === undefined || column.notNull === true) {
    throw new InvalidInputError(
      `${what}: column "${column.name}" of "${definition.name}" needs a default, the value current versions receive, and must be nullable, as history before the change reads null: define it as e.g. "${column.type} default …"`,
    )
  }
  const batchSize = options['batchSize'] ?? DEFAULT_BATCH_SIZE
  if (typeof batchSize !== 'number' || !Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new InvalidInputError(`${what}: batchSize must be a whole number ≥ 1, got ${describeValue(batchSize)}`)
  }
  const onProgress = options['onProgress']
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new InvalidInputError(`${what}: onProgress must be a function`)
  return Object.freeze({
    column,
    audit: checkAudit(definition, options['actor'], options['reason']),
    batchSize,
    onProgress: onProgress as CheckedOptions['onProgress'],
  })
}

/** `[actor, reason]` on audited tables, else nothing: what the correction records. */
function checkAudit(definition: TableDefinition, actor: unknown, reason: unknown): readonly unknown[] {
  if (!definition.audit) {
    if (actor !== undefined || reason !== undefined) {
      throw new InvalidInputError(`correctCurrentVersions: "${definition.name}" records no actor or reason; leave them out (or define it with audit: true)`)
    }
    return []
  }
  if (typeof actor !== 'string' || actor.trim() === '' || actor.includes('\0')) {
    throw new InvalidInputError(`correctCurrentVersions: "${definition.name}" is audited: the correction needs { actor } naming who makes it`)
  }
  if (reason !== undefined && reason !== null && (typeof reason !== 'string' || reason.includes('\0'))) {
    throw new InvalidInputError('correctCurrentVersions: reason must be a string')
  }
  return [actor, reason ?? null]
}
