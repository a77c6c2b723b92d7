import type { TableDefinition } from '../schema/define-table.js'
import type { DateInput, InstantInput } from '../time/date-input.js'

/**
 * What {@link convertToBitemporal} takes.
 *
 * @example
 * ```ts
 * await convertToBitemporal(trx, {
 *   from: 'plans',                 // the plain table, one row per plan
 *   to: planVersions,              // defineTable({ name: 'plan_versions', key: { id: 'integer' }, values: { … } })
 *   effectiveFrom: 'created_at',   // or a fixed day: '2020-01-01'
 *   effectiveTo: 'deleted_at',     // soft-deleted rows end there
 *   view: true,                    // "plans" becomes a view of today's rows; the table becomes "plans_plain"
 * })
 * ```
 */
export interface ConvertOptions {
  /** The plain table, `'plans'` or `'app.plans'`. Read, locked against writes during the conversion, renamed only when its name is needed. */
  readonly from: string
  /**
   * The bitemporal table to create ({@link createTable}); it must not exist.
   * Its key and value columns are copied from the plain table's columns of
   * the same name (or as `columns` maps them). When its name is the plain
   * table's name, the plain table is renamed first (see `renameSourceTo`).
   */
  readonly to: TableDefinition
  /**
   * Where each row's validity starts: a column of the plain table (`date`,
   * `timestamp` or `timestamptz`, e.g. `'created_at'`), or a fixed day
   * (`'2020-01-01'`, a `Date`) or, for `effective: 'timestamp'` tables, an
   * instant with an offset. A string is a column if it is an identifier
   * (identifiers cannot start with a digit). Required.
   */
  readonly effectiveFrom: string | Date
  /** Used for rows whose `effectiveFrom` column is null. Default: none, and such rows are an `InvalidInputError` naming them. */
  readonly effectiveFromDefault?: DateInput | InstantInput
  /**
   * A column (`date`, `timestamp` or `timestamptz`) where each row's
   * validity ends: `deleted_at`, `valid_until`. Null (or `infinity`) means
   * "until further notice". Default: none, every row is valid until further
   * notice.
   */
  readonly effectiveTo?: string
  /** Target column → plain table column, for columns that were renamed. Default: same names. */
  readonly columns?: Readonly<Record<string, string>>
  /**
   * Leave a view with the plain table's name and columns that shows current
   * knowledge as of today, so old readers keep working (see
   * docs/recipes/existing-plain-table-to-bitemporal.md for what each column
   * shows). The plain table is renamed to `renameSourceTo`. Default: `false`.
   */
  readonly view?: boolean
  /**
   * The plain table's new name, when its name is needed (by `view: true` or
   * because `to` has it): a bare name in the same schema. Default:
   * `<from>_plain`. The table is kept, never dropped: drop it in a later
   * migration once nobody needs it.
   */
  readonly renameSourceTo?: string
  /**
   * Rows whose validity would be empty (ending on or before it starts, e.g.
   * created and soft-deleted on the same day of a `date` table): `'error'`
   * refuses the conversion naming them; `'skip'` leaves them out (they were
   * never valid for a whole day). Default: `'error'`.
   */
  readonly emptyValidity?: 'error' | 'skip'
  /** Rows per copy statement (approximately: batches are ranges of the table's pages). Default: `50000`. */
  readonly batchSize?: number
  /** Called after each batch with the rows copied so far and the rows to copy. Default: none. */
  readonly onProgress?: (progress: ConvertProgress) => void
  /**
   * Commit each batch in a transaction of its own and record the progress in
   * `bitemporal.conversion`, so that a conversion interrupted half-way (an
   * error, a killed connection, a crashed process) goes on where it stopped
   * when it is run again with the same options; a run after it finished
   * returns its result and changes nothing. `db` must then be a Kysely
   * instance, not a transaction. From the first commit to the last, writes
   * to the plain table are refused (`ConversionPendingError`), and each
   * batch's versions get that batch's system time, so history as known
   * between `systemTime` and `lastSystemTime` of the result is partial (see
   * docs/recipes/existing-plain-table-to-bitemporal.md). Not for a
   * partitioned table. Default: `false`: one transaction, the caller's or
   * its own, all or nothing.
   */
  readonly resumable?: boolean
  /** Who converts, recorded on every row (required on tables with `audit: true`). */
  readonly actor?: string
  /** Why (recorded on tables with `audit: true`). */
  readonly reason?: string
}

/** What `onProgress` gets after each batch. */
export interface ConvertProgress {
  /** Versions inserted so far (by every run of a resumable conversion: a resumed one goes on from the count it had reached). */
  readonly copied: number
  /** Versions the conversion will insert in all (the plain table's rows, less skipped ones). */
  readonly total: number
}

/** What a conversion did. */
export interface ConvertResult {
  /**
   * The system time of the copied versions: the transaction's, or with
   * `resumable: true` the first batch's that copied rows (each batch has its
   * own); `null` if nothing was copied.
   */
  readonly systemTime: string | null
  /**
   * The system time of the last batch that copied rows: from then on, history
   * as known holds the whole table. Equal to `systemTime` without
   * `resumable`; `null` if nothing was copied.
   */
  readonly lastSystemTime: string | null
  /** Copy statements run (with `resumable: true`, transactions committed, over every run). */
  readonly batches: number
  /** Versions inserted: one per copied row. */
  readonly copied: number
  /** Rows left out by `emptyValidity: 'skip'`. */
  readonly skipped: number
  /** The plain table's name after the conversion, `"schema"."name"`. */
  readonly source: string
  /** The compatibility view, `"schema"."name"`, if one was created. */
  readonly view: string | undefined
}
