import { MESSAGE_PREFIX } from './message-prefix.js'

/**
 * The stable codes of every error the library throws. Branch on `code` (or
 * `instanceof`); messages may improve between versions, codes do not change.
 */
export type BitemporalErrorCode =
  | 'OVERLAP'
  | 'NOT_FOUND'
  | 'INVALID_INPUT'
  | 'CONCURRENT_WRITE'
  | 'CONFLICT'
  | 'IMMUTABLE_HISTORY'
  | 'HISTORY_WOULD_BE_LOST'
  | 'REFERENCE_VIOLATION'
  | 'MIGRATION_FAILED'
  | 'MIGRATION_EDITED'
  | 'CONVERSION_PENDING'
  | 'TABLE_NEEDS_UPGRADE'
  | 'DEFINITION_MISMATCH'
  | 'TABLE_MISMATCH'
  | 'SCHEMA_CHANGE_REFUSED'
  | 'DATABASE_ERROR'

export interface BitemporalErrorOptions {
  /** The error this one was made from, usually a `pg` `DatabaseError`. */
  readonly cause?: unknown
  /** The SQLSTATE of the database error behind this one, when there is one. */
  readonly sqlState?: string | undefined
  /** The table the failed call was for, as its definition names it. */
  readonly table?: string | undefined
  /** The repository method that failed (`'insert'`, `'correct'`, `'asOf'`, …). */
  readonly operation?: string | undefined
  /** The key the failed call was for, as the caller gave it. */
  readonly key?: Readonly<Record<string, unknown>> | undefined
}

/**
 * A frozen copy of the caller's key, so an error kept in a log or a retry
 * queue shows the key the call had even if the caller's object changes later.
 */
function frozenKey(key: Readonly<Record<string, unknown>> | undefined): Readonly<Record<string, unknown>> | undefined {
  return key === undefined ? undefined : Object.freeze({ ...key })
}

/**
 * The base class of every error the library throws.
 *
 * @example
 * ```ts
 * try {
 *   await migrate({ db, folder: 'migrations' })
 * } catch (error) {
 *   if (error instanceof BitemporalError && error.code === 'MIGRATION_EDITED') {
 *     // an applied migration file changed after it ran
 *   }
 * }
 * ```
 */
export class BitemporalError extends Error {
  readonly code: BitemporalErrorCode
  /** Whether running the same transaction again may succeed (SQLSTATE class 40 only). */
  readonly retryable: boolean
  readonly sqlState: string | undefined
  /**
   * The message without its `bitemporal: ` prefix: what to put inside
   * another message (a failed migration's) or show where the prefix would
   * repeat (the command line's `error [CODE]: …`).
   */
  readonly description: string
  /**
   * The table the failed call was for, as its definition names it, when the
   * library knew it: every repository read and write sets it.
   */
  readonly table: string | undefined
  /** The repository method that failed (`'insert'`, `'set'`, …, `'asOf'`), when a repository call failed. */
  readonly operation: string | undefined
  /** A frozen copy of the key the failed call was for, when it was for one key. */
  readonly key: Readonly<Record<string, unknown>> | undefined

  /**
   * @param message - what went wrong and what to fix, without the prefix;
   *   the prefix is added here, once. A message that already has it (the
   *   text the library's SQL functions raise, passed on as it is) keeps one.
   */
  constructor(code: BitemporalErrorCode, message: string, options: BitemporalErrorOptions = {}) {
    const description = message.startsWith(MESSAGE_PREFIX) ? message.slice(MESSAGE_PREFIX.length) : message
    super(MESSAGE_PREFIX + description, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.retryable = code === 'CONCURRENT_WRITE'
    this.sqlState = options.sqlState
    this.description = description
    this.table = options.table
    this.operation = options.operation
    this.key = frozenKey(options.key)
  }
}

/**
 * Two versions of one key would overlap in both valid time and system time
 * (SQLSTATE 23P01 from the table's exclusion constraint, or a repository
 * `insert` over an existing version).
 */
export class OverlapError extends BitemporalError {
  /** The exclusion constraint that fired, when the database reported it. */
  readonly constraint: string | undefined

  constructor(message: string, options: BitemporalErrorOptions & { readonly constraint?: string | undefined } = {}) {
    super('OVERLAP', message, options)
    this.constraint = options.constraint
  }
}

/** The version or entity a write needs does not exist. */
export class NotFoundError extends BitemporalError {
  constructor(message: string, options: BitemporalErrorOptions = {}) {
    super('NOT_FOUND', message, options)
  }
}

/** An argument is malformed; nothing was sent to the database. */
export class InvalidInputError extends BitemporalError {
  constructor(message: string, options: BitemporalErrorOptions = {}) {
    super('INVALID_INPUT', message, options)
  }
}

/**
 * Another transaction changed the same rows first (SQLSTATE 40001 or 40P01).
 * Retryable: run the whole transaction again.
 */
export class ConcurrentWriteError extends BitemporalError {
  /**
   * When the write found its key's advisory lock held by another
   * transaction: that lock's number (a 64-bit integer, as decimal text).
   * `transaction()` and the repository's own retries take it before running
   * again, so the retry waits its turn for the key instead of racing for it
   * (decision 78). `undefined` for every other conflict.
   */
  readonly keyLock: string | undefined

  constructor(message: string, options: BitemporalErrorOptions & { readonly keyLock?: string | undefined } = {}) {
    super('CONCURRENT_WRITE', message, options)
    this.keyLock = options.keyLock
  }
}

/** An optimistic check failed: the data changed since the caller read it (HTTP 409). */
export class ConflictError extends BitemporalError {
  constructor(message: string, options: BitemporalErrorOptions = {}) {
    super('CONFLICT', message, options)
  }
}

/** The database refused to rewrite or delete history (the versions table's trigger). */
export class ImmutableHistoryError extends BitemporalError {
  constructor(message: string, options: BitemporalErrorOptions = {}) {
    super('IMMUTABLE_HISTORY', message, options)
  }
}

/**
 * Dropping a bitemporal table that holds rows was refused: it would destroy
 * the table's whole history (docs/semantics.md §2: history is never
 * deleted as a side effect). SQLSTATE BT005, raised by the guard at the top
 * of `dropTableSql`, so `dropTable`, a migration's `down` and the SQL run by
 * hand all refuse alike. Nothing was dropped. Pass `{ discardHistory: true }`
 * (`bitemporal migrate down --discard-history`) to drop it knowingly.
 *
 * @example
 * ```ts
 * try {
 *   await dropTable(db, taxRates)
 * } catch (error) {
 *   if (error instanceof HistoryWouldBeLostError) {
 *     // copy the rows elsewhere first, or drop them knowingly:
 *     await dropTable(db, taxRates, { discardHistory: true })
 *   }
 * }
 * ```
 */
export class HistoryWouldBeLostError extends BitemporalError {
  constructor(message: string, options: BitemporalErrorOptions = {}) {
    super('HISTORY_WOULD_BE_LOST', message, options)
  }
}

/**
 * A temporal reference would be broken: a child valid where its parent is
 * not. Named so that it does not shadow the global `ReferenceError`.
 */
export class ReferenceViolationError extends BitemporalError {
  constructor(message: string, options: BitemporalErrorOptions = {}) {
    super('REFERENCE_VIOLATION', message, options)
  }
}

/** A migration failed; its transaction was rolled back and nothing of the run was applied. */
export class MigrationFailedError extends BitemporalError {
  /** The migration that failed, when one did (not the runner itself). */
  readonly migration: string | undefined

  constructor(message: string, options: BitemporalErrorOptions & { readonly migration?: string | undefined } = {}) {
    super('MIGRATION_FAILED', message, options)
    this.migration = options.migration
  }
}

/** Applied migrations whose files changed after they ran. */
export class MigrationEditedError extends BitemporalError {
  readonly migrations: readonly string[]

  constructor(message: string, migrations: readonly string[]) {
    super('MIGRATION_EDITED', message)
    this.migrations = Object.freeze([...migrations])
  }
}

/**
 * A write to a plain table that a resumable conversion
 * (`convertToBitemporal` with `resumable: true`) is copying: SQLSTATE BT003
 * from the trigger the conversion put on it. Nothing was written. Run the
 * conversion again to finish it; then write to the bitemporal table.
 */
export class ConversionPendingError extends BitemporalError {
  constructor(message: string, options: BitemporalErrorOptions = {}) {
    super('CONVERSION_PENDING', message, options)
  }
}

/** A database error the library has no more specific class for; `sqlState` and `cause` say what it was. */
export class DatabaseError extends BitemporalError {
  constructor(message: string, options: BitemporalErrorOptions = {}) {
    super('DATABASE_ERROR', message, options)
  }
}
