import type { AnyKysely } from '../any-kysely.js'
import { type BitemporalError, ConcurrentWriteError, ConflictError, InvalidInputError, NotFoundError, OverlapError } from '../errors/errors.js'
import { describeValue } from '../errors/describe-value.js'
import { mapDatabaseError } from '../errors/map-database-error.js'
import { assertDefinition } from '../schema/assert-definition.js'
import { type AsOfInstant } from '../query/as-of-instant.js'
import { type AsOfQuery, queryAsOf } from '../query/query-as-of.js'
import { aggregate } from '../read/aggregate/aggregate.js'
import type { AggregateOptions, AggregateStep } from '../read/aggregate/aggregate-options.js'
import { type Change, decodeChange } from '../read/change.js'
import { type ChangesOptions, encodeChanges } from '../read/changes-options.js'
import { batchSizeOf, cursorBatches, type StreamOptions } from '../read/cursor-batches.js'
import { decodeDiffRow, type DiffRow } from '../read/diff/diff.js'
import { type DiffOptions, encodeDiff } from '../read/diff/diff-options.js'
import { readOptions } from '../options/read-options.js'
import { decodeTimelineVersion, encodeTimelineWindow } from '../read/timeline-window.js'
import type { KeyOf, TableDefinition } from '../schema/define-table.js'
import { type DateInput, type InstantInput, toInstant, toKnownAt } from '../time/date-input.js'
import { queueForKey } from '../transaction/queue-for-key.js'
import { isRetryCount, withRetries } from '../transaction/retry-policy.js'
import { runTransaction } from '../transaction/run-transaction.js'
import { transaction, type TransactionOptions } from '../transaction/transaction.js'
import { operationName, type WriteOperation } from '../write/write-operation.js'
import { type LoadOptions, type LoadResult, loadVersions } from '../write/load-versions.js'
import { writeParameters } from '../write/write-sql.js'
import { assertDatabase } from '../statement/database-input.js'
import { runStatement, withoutCallerPlugins } from '../statement/run-statement.js'
import { type EraseOptions, type EraseResult, eraseKey } from './erase.js'
import type { NamedStatement } from '../statement/named-statement.js'
import { Statements } from './statements.js'
import { tableSqlContext } from '../statement/table-sql-context.js'
import { decodeVersion, type Version } from '../codec/decode-version.js'
import type { NewValues, ValuesPatch } from '../codec/write-values.js'
import { encodeAt, encodePoint, encodePortion, portionFields } from '../codec/encode-portion.js'
import { encodeAudit } from '../codec/encode-audit.js'
import { encodeKey } from '../codec/encode-key.js'
import { encodeValues } from '../codec/encode-values.js'

/**
 * A portion `[from, to)` of valid time; `to` omitted or `null` means
 * unbounded. No other key is accepted: `{ from, unti }` is an
 * `InvalidInputError` naming `unti`, not a portion without an end.
 *
 * @example
 * ```ts
 * const march: Portion = { from: '2024-03-01', to: '2024-04-01' }
 * ```
 */
export interface Portion {
  readonly from: DateInput
  readonly to?: DateInput | null
}

/** One version for {@link Repository.load}: as `insert` takes it. */
export interface LoadVersion<D extends TableDefinition> {
  readonly key: KeyOf<D>
  readonly effective: Portion
  readonly values: NewValues<D>
}

/** Options every write takes. */
export interface WriteOptions {
  /**
   * Optimistic check: the system time of the key's current timeline as the
   * caller last read it (`lastChange`, or a write's `systemTime`), as that
   * string: its microseconds make it exact, so a `Date` (milliseconds) is
   * refused with `InvalidInputError`. If the timeline has changed since, the
   * write fails with `ConflictError` and writes nothing
   * (docs/semantics.md §3).
   */
  readonly expect?: string
  /** Who makes the change (required on tables with `audit: true`). */
  readonly actor?: string
  /** Why (recorded on tables with `audit: true`). */
  readonly reason?: string
}

/** What a write did. */
export interface WriteResult {
  /** The system time `T` the write is recorded at, or `null` if it changed nothing. */
  readonly systemTime: string | null
  /** Rows closed in system time (or, for rows this transaction wrote itself, replaced). */
  readonly closed: number
  /** Rows inserted. */
  readonly inserted: number
}

/** Options of {@link bitemporal}. */
export interface RepositoryOptions {
  /**
   * On node-postgres, prepare each statement once per connection (a named
   * statement) instead of parsing and planning it on every call; other
   * drivers never get named statements (see `docs/drivers.md`). Turn off
   * behind a pooler that cannot keep prepared statements (PgBouncer in
   * transaction mode before 1.21). Default: `true`.
   */
  readonly prepare?: boolean
  /**
   * How many times a single write (one outside a transaction) runs again
   * after a lost race, a retryable `ConcurrentWriteError`. A write inside a
   * transaction is never run again on its own: `transaction()` runs the
   * whole transaction again. Default: `5`. The policy, the same as
   * `transaction()`'s, is in docs/reliability.md "Retries".
   */
  readonly retries?: number
  /**
   * Called before each retry of a single write with the typed error that
   * ended the attempt (a `ConcurrentWriteError`) and the number of the retry
   * (1, 2, …), as `TransactionOptions.onRetry` is for a transaction. For
   * counting and logging contention; it cannot stop the retry.
   */
  readonly onRetry?: (error: BitemporalError, retry: number) => void
}

/** Options of {@link Repository.asOf}. */
export interface AsOfOptions {
  /** The valid-time instant. Default: today (UTC day), or now on timestamp tables. */
  readonly validAt?: DateInput
  /**
   * The system-time instant. Default: current knowledge. A `Date` names a
   * whole millisecond and is read as its last microsecond, so
   * `new Date(w.systemTime)` sees the write `w`; a string is exact.
   */
  readonly knownAt?: InstantInput
}

/** Options of {@link Repository.timeline}. */
export interface TimelineOptions {
  /**
   * The system-time instant. Default: current knowledge. A `Date` names a
   * whole millisecond and is read as its last microsecond, so
   * `new Date(w.systemTime)` sees the write `w`; a string is exact.
   */
  readonly knownAt?: InstantInput
  /** Start of a valid-time window `[from, to)`; versions are clamped to it. Default: unbounded. */
  readonly from?: DateInput | null
  /** End of the window, exclusive. Default: unbounded. */
  readonly to?: DateInput | null
  /** Merge adjacent versions with equal values into one (no `audit` on merged versions). Default: `false`. */
  readonly coalesce?: boolean
}

// A single write outside a transaction is its own transaction, so the
// library may run it again after a lost race; inside one, the caller's
// transaction helper must retry the whole transaction. More than
// transaction()'s 3: a retry of one statement is cheap and queued for the key.
const STATEMENT_RETRIES = 5

/** The retries of single writes, as {@link RepositoryOptions} set them. */
interface StatementRetries {
  readonly retries: number
  readonly onRetry: ((error: BitemporalError, retry: number) => void) | undefined
}

/**
 * The repository of one bitemporal table: range-splitting writes and as-of
 * reads, each one SQL statement (one round trip). Immutable; `with(trx)`
 * gives a repository bound to a transaction.
 *
 * @example
 * ```ts
 * const taxRates = bitemporal(db, taxRatesTable)
 * const key = { state_id: 1, tax_type: 'income_tax' }
 * await taxRates.set(key, { from: '2023-01-01' }, { rate: '0.15' })  // { systemTime: '2026-…Z', closed: 0, inserted: 1 }
 * await taxRates.asOf(key, { validAt: '2023-05-01' })               // { values: { rate: '0.15' }, effective: { from: '2023-01-01', to: null }, … }
 * ```
 */
export class Repository<D extends TableDefinition> {
  readonly definition: D
  /** The caller's instance, plugins and all, for the transactions `transaction()` hands back. */
  readonly #callerDb: AnyKysely
  readonly #db: AnyKysely
  readonly #statements: Statements
  readonly #retries: StatementRetries

  /** @internal Use `bitemporal(db, definition)`. */
  constructor(db: AnyKysely, definition: D, options: RepositoryOptions = {}, statements?: Statements) {
    assertDatabase(db, 'bitemporal')
    assertDefinition(definition, 'bitemporal')
    const checked = readOptions(options, 'bitemporal', ['prepare', 'retries', 'onRetry'])
    const prepare = checked['prepare'] ?? true
    if (typeof prepare !== 'boolean') throw new InvalidInputError('the option prepare must be true or false')
    this.definition = definition
    this.#callerDb = db
    this.#db = withoutCallerPlugins(db)
    this.#statements = statements ?? new Statements(tableSqlContext(definition), prepare)
    this.#retries = statementRetries(checked)
    Object.freeze(this)
  }

  /** The same repository, running its statements in `trx` (a Kysely transaction). */
  with(trx: AnyKysely): Repository<D> {
    const { retries, onRetry } = this.#retries
    return new Repository(trx, this.definition, onRetry === undefined ? { retries } : { retries, onRetry }, this.#statements)
  }

  /**
   * Runs `fn` in a transaction with a repository bound to it, retrying on
   * `ConcurrentWriteError` (see {@link transaction}).
   */
  transaction<T>(fn: (repository: Repository<D>, trx: AnyKysely) => Promise<T>, options?: TransactionOptions): Promise<T> {
    return transaction(this.#callerDb, (trx) => fn(this.with(trx), trx), options)
  }

  /** Adds a version over `[from, to)`; `OverlapError` if a current version overlaps it. */
  async insert(key: KeyOf<D>, portion: Portion, values: NewValues<D>, options: WriteOptions = {}): Promise<WriteResult> {
    return this.#write('insert', key, encodePortion(this.#statements.context, portion, 'insert'), values, true, options)
  }

  /**
   * Over the portion the entity has exactly `values`. With `to`, the portion
   * is `[from, to)`; without it, this is the timeline change: the portion
   * ends at the next change point after `from`.
   */
  async set(key: KeyOf<D>, portion: Portion, values: NewValues<D>, options: WriteOptions = {}): Promise<WriteResult> {
    const fields = portionFields(portion, 'set')
    if (fields['to'] === undefined) {
      const from = encodePoint(this.#statements.context, fields['from'], 'set: from')
      return this.#write('setFrom', key, from, values, true, options)
    }
    return this.#write('set', key, encodePortion(this.#statements.context, fields, 'set'), values, true, options)
  }

  /** `UPDATE … FOR PORTION OF`: versions overlapping the portion get `patch` inside it; gaps stay gaps. */
  async update(key: KeyOf<D>, portion: Portion, patch: ValuesPatch<D>, options: WriteOptions = {}): Promise<WriteResult> {
    return this.#write('update', key, encodePortion(this.#statements.context, portion, 'update'), patch, false, options)
  }

  /** The version valid at `at` gets `patch` over its whole effective range; `NotFoundError` if none is. */
  async correct(key: KeyOf<D>, at: { readonly at: DateInput }, patch: ValuesPatch<D>, options: WriteOptions = {}): Promise<WriteResult> {
    return this.#write('correct', key, encodeAt(this.#statements.context, at, 'correct'), patch, false, options)
  }

  /** `DELETE … FOR PORTION OF`: validity is removed over the portion; without `to`, from `from` on. */
  async delete(key: KeyOf<D>, portion: Portion, options: WriteOptions = {}): Promise<WriteResult> {
    return this.#write('delete', key, encodePortion(this.#statements.context, portion, 'delete'), {}, false, options)
  }

  /**
   * Bulk loading: inserts many versions of many keys, each as `insert`
   * would, in batches of one statement each (`batchSize` versions per round
   * trip), all in one transaction: one system time, all or nothing. `source`
   * is an array or an (async) iterable, read batch by batch, so a load of
   * millions holds one batch in memory. Every version is checked before its
   * batch is sent; an overlap (with a current version or between loaded
   * versions) is an `OverlapError`, and nothing is written. In the caller's
   * transaction (`with(trx)`) the batches run in a savepoint, rolled back
   * when the load fails, so the caller may catch the error and commit the
   * rest.
   *
   * @example
   * ```ts
   * await taxRates.load(
   *   [
   *     { key: { state_id: 1, tax_type: 'income_tax' }, effective: { from: '2020-01-01', to: '2023-01-01' }, values: { rate: '0.14' } },
   *     { key: { state_id: 1, tax_type: 'income_tax' }, effective: { from: '2023-01-01' }, values: { rate: '0.15' } },
   *   ],
   *   { onProgress: ({ inserted }) => bar.update(inserted) },
   * ) // { systemTime: '2026-…Z', inserted: 2 }
   * ```
   * Each batch is one `insert … select … from (values (…), (…), …)`; see
   * `loadSql` for the statement.
   */
  async load(source: Iterable<LoadVersion<D>> | AsyncIterable<LoadVersion<D>>, options: LoadOptions = {}): Promise<LoadResult> {
    readOptions(options, 'load', ['batchSize', 'onProgress', 'actor', 'reason', 'prepare'])
    return loadVersions(this.#db, this.#statements.context, source, options, this.#statements.prepare)
  }

  /** The version valid at `validAt` as known at `knownAt`, or `undefined`. */
  async asOf(key: KeyOf<D>, options: AsOfOptions = {}): Promise<Version<D> | undefined> {
    readOptions(options, 'asOf', ['validAt', 'knownAt'])
    const parameters = [
      ...encodeKey(this.#statements.context, key),
      options.validAt === undefined ? null : encodePoint(this.#statements.context, options.validAt, 'asOf: validAt'),
    ]
    const rows =
      options.knownAt === undefined
        ? await this.#read(this.#statements.read.asOfCurrent, parameters, 'asOf', key)
        : await this.#read(this.#statements.read.asOfKnown, [...parameters, toKnownAt(options.knownAt, 'asOf: knownAt')], 'asOf', key)
    const [row] = rows
    return row === undefined ? undefined : decodeVersion<D>(this.#statements.context, row)
  }

  /**
   * The timeline known at `knownAt` (default: current knowledge), ordered by
   * effective start. With `from`/`to`, only the versions overlapping the
   * window `[from, to)`, their effective ranges clamped to it; with
   * `coalesce: true`, adjacent versions with equal values merged into one
   * (see `timelineStatements` for the SQL).
   *
   * @example
   * ```ts
   * await taxRates.timeline(key, { from: '2023-01-15', to: '2023-03-01', coalesce: true })
   * // [{ values: { rate: '0.19' }, effective: { from: '2023-01-15', to: '2023-02-01' }, … },
   * //  { values: { rate: '0.25' }, effective: { from: '2023-02-01', to: '2023-03-01' }, … }]
   * ```
   * A window alone sends (current knowledge):
   * ```sql
   * select …, to_char(lower(t."effective" * daterange($3::text::date, $4::text::date, '[)')), 'YYYY-MM-DD') as effective_from, …
   * from "tax_rates" as t
   * where t."state_id" = $1::text::integer and t."tax_type" = $2::text and upper_inf(t."system")
   *   and lower(t."effective") < coalesce($4::text::date, 'infinity') and t."effective" && daterange($3::text::date, $4::text::date, '[)')
   * order by lower(t."effective")
   * ```
   */
  async timeline(key: KeyOf<D>, options: TimelineOptions = {}): Promise<Version<D>[]> {
    readOptions(options, 'timeline', ['knownAt', 'from', 'to', 'coalesce'])
    const sequenced = encodeTimelineWindow(this.#statements.context, options)
    const parameters = encodeKey(this.#statements.context, key)
    if (sequenced !== null) {
      const known = options.knownAt === undefined ? [] : [toKnownAt(options.knownAt, 'timeline: knownAt')]
      const statement = this.#statements.timeline[`${sequenced.coalesce ? 'coalesced' : 'window'}${known.length > 0 ? 'Known' : 'Current'}`]
      const sequencedRows = await this.#read(statement, [...parameters, ...sequenced.window, ...known], 'timeline', key)
      return sequencedRows.map((row) => decodeTimelineVersion<D>(this.#statements.context, row, sequenced.coalesce))
    }
    const rows =
      options.knownAt === undefined
        ? await this.#read(this.#statements.read.timelineCurrent, parameters, 'timeline', key)
        : await this.#read(this.#statements.read.timelineKnown, [...parameters, toKnownAt(options.knownAt, 'timeline: knownAt')], 'timeline', key)
    return rows.map((row) => decodeVersion<D>(this.#statements.context, row))
  }

  /**
   * The audit of a system-time interval `[since, until)`: every version
   * asserted (inserted) or retracted (closed) in it, for one key or all,
   * ordered by system time, then key, then effective range (a retraction
   * before what replaces it), with `audit: { actor, reason }` on audited
   * tables. One statement on an index (see `changesStatements` for the SQL).
   *
   * @example
   * ```ts
   * await taxRates.changes({ since: '2023-10-17T00:00:00Z', until: '2023-10-19T00:00:00Z', key })
   * // [{ kind: 'retracted', systemTime: '2023-10-17T09:30:00.123456Z', key, values: { rate: '0.15' },
   * //    effective: { from: '2023-01-01', to: null } },
   * //  { kind: 'asserted', systemTime: '2023-10-17T09:30:00.123456Z', key, values: { rate: '0.19' },
   * //    effective: { from: '2023-01-01', to: null } }]
   * ```
   * sends, for one key:
   * ```sql
   * select c.kind, bitemporal.format_system_time(c.at) as system_time, … from (
   *   select 'asserted' as kind, lower(t."system") as at, (t.*)::"tax_rates" as v
   *   from "tax_rates" as t
   *   where lower(t."system") >= ($3::text::timestamptz at time zone 'UTC')
   *     and lower(t."system") < coalesce(($4::text::timestamptz at time zone 'UTC'), 'infinity')
   *     and t."state_id" = $1::text::integer and t."tax_type" = $2::text
   *     and t."system" && tsrange(($3::text::timestamptz at time zone 'UTC'), ($4::text::timestamptz at time zone 'UTC'), '[)')
   *   union all
   *   select 'retracted', upper(t."system"), (t.*)::"tax_rates"
   *   from "tax_rates" as t
   *   where not upper_inf(t."system")
   *     and upper(t."system") >= ($3::text::timestamptz at time zone 'UTC') …  -- the same bounds, on upper(system)
   * ) as c
   * order by c.at, (c.v)."state_id", (c.v)."tax_type", lower((c.v)."effective"), c.kind = 'asserted', upper((c.v)."effective")
   * ```
   */
  async changes(options: ChangesOptions<D>): Promise<readonly Change<D>[]> {
    const { keyed, parameters } = encodeChanges(this.#statements.context, options)
    const rows = await this.#read(keyed ? this.#statements.changes.key : this.#statements.changes.all, parameters, 'changes', keyed ? options.key : undefined)
    return Object.freeze(rows.map((row) => decodeChange<D>(this.#statements.context, row)))
  }

  /** Every version ever recorded for the key, ordered by system start, then effective start. */
  async history(key: KeyOf<D>): Promise<Version<D>[]> {
    const rows = await this.#read(this.#statements.read.history, encodeKey(this.#statements.context, key), 'history', key)
    return rows.map((row) => decodeVersion<D>(this.#statements.context, row))
  }

  /**
   * A Kysely select over the table, already restricted to the versions valid
   * at `validAt` as known at `knownAt` (at most one per key); add `where`,
   * `select`, joins, `count`, pagination. Defaults as in `asOf`: today
   * (UTC) and current knowledge; `validAt: 'any'` keeps every valid time.
   * Built on the caller's Kysely instance (its plugins apply); see
   * docs/queries.md.
   *
   * @example
   * ```ts
   * await taxRates.query({ validAt: '2023-05-01', knownAt: t1 })
   *   .where('tax_type', '=', 'income_tax')
   *   .select((eb) => eb.fn.countAll().as('states'))
   *   .executeTakeFirstOrThrow()
   * // select count(*) as "states" from "tax_rates"
   * // where ("tax_rates"."system" @> ($1::text::timestamptz at time zone 'UTC') and "tax_rates"."effective" @> $2::text::date)
   * //   and "tax_type" = $3
   * ```
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped unless the caller names its database type
  query<DB = any, TB extends keyof DB & string = keyof DB & string>(at?: AsOfInstant): AsOfQuery<DB, TB> {
    return queryAsOf<DB, TB>(this.#callerDb, this.definition, at)
  }

  /**
   * `history(key)` as a stream: the same versions in the same order, read
   * through a server-side cursor in batches of `batchSize`, so a timeline of
   * millions of versions never sits in memory at once (see {@link streamQuery}
   * for the SQL around the statement).
   *
   * @example
   * ```ts
   * for await (const version of taxRates.streamHistory(key, { batchSize: 5000 })) archive(version)
   * ```
   */
  async *streamHistory(key: KeyOf<D>, options?: StreamOptions): AsyncGenerator<Version<D>, void, undefined> {
    const batchSize = batchSizeOf(options, 'streamHistory')
    const parameters = encodeKey(this.#statements.context, key)
    for await (const rows of cursorBatches<Record<string, string | null>>(this.#db, this.#statements.read.history, parameters, batchSize, this.definition.name)) {
      for (const row of rows) yield decodeVersion<D>(this.#statements.context, row)
    }
  }

  /** `changes(options)` as a stream, in the same order, in batches of `batchSize` (see {@link streamHistory}). */
  async *streamChanges(options: ChangesOptions<D>, stream?: StreamOptions): AsyncGenerator<Change<D>, void, undefined> {
    const batchSize = batchSizeOf(stream, 'streamChanges')
    const { keyed, parameters } = encodeChanges(this.#statements.context, options)
    const statement = keyed ? this.#statements.changes.key : this.#statements.changes.all
    for await (const rows of cursorBatches<Record<string, string | null>>(this.#db, statement, parameters, batchSize, this.definition.name)) {
      for (const row of rows) yield decodeChange<D>(this.#statements.context, row)
    }
  }

  /**
   * Restatement: where, in valid time, the timeline as known at `before`
   * differs from the one known at `after` (default: current knowledge), for
   * one key or every key, clamped to `[validFrom, validTo)`. One row per
   * stretch of valid time with the same two sides, `null` where no version
   * was valid, ordered by key then `effective.from`; on audited tables with
   * `audit`: who changed it in between and why. One statement: over every
   * key it finds the keys that changed on the btrees of changes (see
   * `diffStatements` for the SQL).
   *
   * @example
   * ```ts
   * await taxRates.diff({ before: closedAt, validFrom: '2023-01-01', validTo: '2023-04-01' })
   * // [{ key, effective: { from: '2023-01-01', to: '2023-02-01' }, before: { rate: '0.15' }, after: { rate: '0.19' },
   * //    audit: [{ systemTime: '2023-04-03T…Z', actor: 'bob', reason: 'typo in 0.15' }] }]
   * ```
   * sends, over every key (abridged; the whole statement is
   * test/golden/tax-rates/read/diff-all.sql):
   * ```sql
   * with changed as (
   *   select t."state_id", t."tax_type" from "tax_rates" as t
   *   where lower(t."system") > ($1::text::timestamptz at time zone 'UTC') and lower(t."system") <= coalesce(($2::text::timestamptz at time zone 'UTC'), 'infinity')
   * …
   * select (m.whole)."state_id"::text as k0, (m.whole)."tax_type"::text as k1, (m.before)."rate"::text as b0, (m.after)."rate"::text as a0, m.before_present::text as before_present, m.after_present::text as after_present, to_char(m.piece_from, 'YYYY-MM-DD') as effective_from, to_char(nullif(m.piece_to, 'infinity'), 'YYYY-MM-DD') as effective_to
   * from merged as m
   * order by m.key_0, m.key_1, m.piece_from
   * ```
   */
  async diff(options: DiffOptions<D>): Promise<readonly DiffRow<D>[]> {
    const { keyed, parameters } = encodeDiff(this.#statements.context, options)
    const rows = await this.#read(keyed ? this.#statements.diff.key : this.#statements.diff.all, parameters, 'diff', options.key)
    return Object.freeze(rows.map((row) => decodeDiffRow<D>(this.#statements.context, row)))
  }

  /** `diff(options)` as a stream, in the same order, in batches of `batchSize` (see {@link streamHistory}). */
  async *streamDiff(options: DiffOptions<D>, stream?: StreamOptions): AsyncGenerator<DiffRow<D>, void, undefined> {
    const batchSize = batchSizeOf(stream, 'streamDiff')
    const { keyed, parameters } = encodeDiff(this.#statements.context, options, 'streamDiff')
    const statement = keyed ? this.#statements.diff.key : this.#statements.diff.all
    for await (const rows of cursorBatches<Record<string, string | null>>(this.#db, statement, parameters, batchSize, this.definition.name)) {
      for (const row of rows) yield decodeDiffRow<D>(this.#statements.context, row)
    }
  }

  /**
   * A legal erasure: redacts `columns` (default: every value column) in
   * every version of the key, current and superseded, leaving keys, ranges
   * and system times as they were, and records who, when and why in
   * `bitemporal.erasure`. Only for a role granted it with
   * `bitemporal.grant_eraser(role)` (not the application's writer: that
   * gets `DatabaseError` 42501). `NotFoundError` if the key has no versions.
   * See docs/security.md.
   *
   * @example
   * ```ts
   * await customers.erase({ customer_id: 42 }, { reason: 'GDPR art. 17, ticket 991', actor: 'dpo@example.com', columns: ['email'] })
   * // { erasureId: '1', versions: 3, columns: ['email'] }
   * ```
   * sends `select … from bitemporal.erase($1::text::regclass, $2::text::jsonb, $3::text, $4::text, $5::text::text[])`.
   */
  async erase(key: KeyOf<D>, options: EraseOptions<keyof D['values'] & string>): Promise<EraseResult> {
    return eraseKey(this.#db, this.#statements.context, key, options)
  }

  /** The system time of the last change to the key's current timeline (for `expect`), or `null` if it has none. */
  async lastChange(key: KeyOf<D>): Promise<string | null> {
    const [row] = await this.#read(this.#statements.read.lastChange, encodeKey(this.#statements.context, key), 'lastChange', key)
    return row?.['system_time'] ?? null
  }

  /** Runs a read; its errors name the table, the method (`operation`) and the key, when it was for one. */
  async #read(text: string | NamedStatement, parameters: readonly unknown[], operation: string, key: unknown): Promise<Readonly<Record<string, string | null>>[]> {
    try {
      return (await runStatement(this.#db, text, parameters)) as Readonly<Record<string, string | null>>[]
    } catch (error) {
      throw mapDatabaseError(error, { table: this.definition.name, operation, key: key as Readonly<Record<string, unknown>> | undefined })
    }
  }

  async #write(
    operation: WriteOperation,
    key: unknown,
    target: unknown,
    values: unknown,
    complete: boolean,
    options: WriteOptions,
  ): Promise<WriteResult> {
    const name = operationName(operation)
    readOptions(options, name, ['expect', 'actor', 'reason'])
    const parameters = writeParameters({
      key: encodeKey(this.#statements.context, key),
      target,
      expect: options.expect === undefined ? null : encodeExpect(options.expect, name),
      audit: encodeAudit(this.#statements.context, options),
      values: encodeValues(this.#statements.context, values, complete, name),
    })
    const expect = options.expect !== undefined
    const text = this.#statements.write(operation, this.#db.isTransaction ? 'transaction' : 'statement', expect)
    const rows = await withRetries(
      // After a lost race on a busy key, the next attempt waits its turn for the key's lock (decision 78).
      (queueFor) =>
        queueFor === undefined
          ? runStatement(this.#db, text, parameters)
          : this.#writeInTurn(queueFor, this.#statements.write(operation, 'transaction', expect), parameters),
      {
        // Inside a transaction, only the whole transaction may run again.
        retries: this.#db.isTransaction ? 0 : this.#retries.retries,
        onRetry: this.#retries.onRetry,
        typed: (error) => this.#mapWriteError(operation, key, error),
      },
    )
    return this.#result(operation, key, rows)
  }

  /**
   * A single write run again after it found its key's lock busy: in a
   * transaction that first waits for that lock, so that the write's
   * snapshot is taken after the writers queued before it have finished.
   * Four round trips instead of one, on a key that is busy anyway. When the
   * connection dies in the middle, the error that ended the attempt is
   * thrown, not that of the ROLLBACK after it ({@link runTransaction}).
   *
   * ```sql
   * begin; select pg_advisory_xact_lock($1::text::bigint); <the write>; commit
   * ```
   */
  async #writeInTurn(keyLock: string, text: string | NamedStatement, parameters: readonly unknown[]): Promise<Awaited<ReturnType<typeof runStatement>>> {
    return runTransaction(this.#db, undefined, async (trx) => {
      await queueForKey(trx, keyLock)
      return runStatement(trx, text, parameters)
    })
  }

  /** `key` has passed encodeKey: an object of the key columns. */
  #mapWriteError(operation: WriteOperation, key: unknown, error: unknown): ReturnType<typeof mapDatabaseError> {
    const where = { table: this.definition.name, operation: operationName(operation), key: key as Readonly<Record<string, unknown>> }
    const mapped = mapDatabaseError(error, where)
    // The statement itself reports overlaps with the versions it can see; an
    // exclusion violation means a concurrent transaction wrote one it could
    // not see yet. Run again, the write sees it (and an insert then reports
    // the overlap, if there still is one).
    if (mapped instanceof OverlapError) {
      return new ConcurrentWriteError(`${operationName(operation)} on ${this.definition.name} met a version a concurrent transaction wrote; run it again`, {
        ...where,
        cause: error,
        sqlState: mapped.sqlState,
      })
    }
    return mapped
  }

  #result(operation: WriteOperation, key: unknown, rows: readonly Readonly<Record<string, unknown>>[]): WriteResult {
    const [row] = rows
    const name = this.definition.name
    if (row === undefined) throw new Error(`${operationName(operation)} on ${name} returned no status row`)
    const where = { table: name, operation: operationName(operation), key: key as Readonly<Record<string, unknown>> }
    switch (row['outcome']) {
      case 'outdated':
        throw new ConflictError(`${operationName(operation)} on ${name}: the key's timeline changed after the expected system time; read it again and retry`, where)
      case 'overlapping':
        throw new OverlapError(`insert on ${name}: a current version of the key overlaps the portion; use set or update to change it`, where)
      case 'not_found':
        throw new NotFoundError(`correct on ${name}: no current version of the key is valid at that date`, where)
    }
    const closed = Number(row['closed'])
    const inserted = Number(row['inserted'])
    return Object.freeze({ systemTime: closed + inserted === 0 ? null : String(row['system_time']), closed, inserted })
  }

  /**
   * A step function of valid time over `[validFrom, validTo)`: per period,
   * the versions valid throughout it (kept by `where`, as known at
   * `knownAt`, default current knowledge) counted (`count: true`) and
   * summed (`sum: 'mrr'`, an exact decimal string), one step function per
   * value of `groupBy`. The steps cover the window (count 0 where nothing
   * is valid); adjacent equal steps are merged. One statement, a sweep over
   * the version boundaries (see `aggregateSql`).
   *
   * @example
   * ```ts
   * await subscriptions.aggregate({
   *   validFrom: '2024-01-01', validTo: '2025-01-01',
   *   where: (eb) => eb('status', '=', 'active'), count: true, sum: 'mrr',
   * })
   * // [{ effective: { from: '2024-01-01', to: '2024-03-01' }, count: 1, sum: '10.00' }, …]
   * ```
   */
  async aggregate(options: AggregateOptions<D>): Promise<readonly AggregateStep[]> {
    return aggregate(this.#db, this.#statements.context, options)
  }
}

/**
 * The `expect` of a write, checked: an instant string with its offset. A
 * `Date` is refused rather than read: it holds milliseconds, a system time
 * microseconds, so `new Date(w.systemTime)` lands before `w` and the check
 * would fail as a `ConflictError` that blames a change nobody made
 * (docs/semantics.md §3).
 *
 * @example
 * encodeExpect(await repo.lastChange(key), 'set') // the string itself
 */
function encodeExpect(expect: unknown, operation: string): string {
  if (expect instanceof Date) {
    throw new InvalidInputError(
      `${operation}: expect takes the systemTime string of lastChange() or of a write, not a Date: a Date drops the microseconds, so it would never match`,
    )
  }
  const wrong = (): InvalidInputError =>
    new InvalidInputError(
      `${operation}: expect must be the systemTime string of lastChange() or of a write, an ISO 8601 time with Z or an offset such as '2023-10-16T09:30:00.123456Z', got ${describeValue(expect)}`,
    )
  if (typeof expect !== 'string') throw wrong()
  try {
    return toInstant(expect, `${operation}: expect`)
  } catch {
    // toInstant's own message offers a Date, which expect refuses.
    throw wrong()
  }
}

/** The `retries` and `onRetry` of {@link RepositoryOptions}, checked. */
function statementRetries(options: Readonly<Record<string, unknown>>): StatementRetries {
  const retries = options['retries'] ?? STATEMENT_RETRIES
  if (!isRetryCount(retries)) throw new InvalidInputError(`the option retries must be a whole number from 0, got ${describeValue(retries)}`)
  const onRetry = options['onRetry']
  if (onRetry !== undefined && typeof onRetry !== 'function') throw new InvalidInputError('the option onRetry must be a function (error, retry) => void')
  return Object.freeze({ retries, onRetry: onRetry as StatementRetries['onRetry'] })
}
