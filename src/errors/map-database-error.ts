import {
  BitemporalError,
  type BitemporalErrorOptions,
  ConcurrentWriteError,
  ConversionPendingError,
  DatabaseError,
  HistoryWouldBeLostError,
  ImmutableHistoryError,
  InvalidInputError,
  NotFoundError,
  OverlapError,
  ReferenceViolationError,
} from './errors.js'
import { MESSAGE_PREFIX } from './message-prefix.js'
import { TableNeedsUpgradeError } from './schema-change-errors.js'
import { TableMismatchError } from './table-mismatch-error.js'
import { unknownKeys, unknownKeysText } from '../values/unknown-keys.js'

/**
 * The SQLSTATEs that the library's own SQL raises (`sql/`, and the guard
 * of `dropTableSql`), in a class of their own ("BT") so they never collide
 * with PostgreSQL's.
 */
export const LIBRARY_SQLSTATE = Object.freeze({
  immutableHistory: 'BT001',
  referenceViolation: 'BT002',
  conversionPending: 'BT003',
  // createTable's check of its column types (src/schema/column-types-check-sql.ts).
  unknownType: 'BT004',
  historyWouldBeLost: 'BT005',
} as const)

/**
 * What the drivers put on an error the server reported: node-postgres and
 * PGlite a `DatabaseError` with `code` and `constraint`, postgres.js a
 * `PostgresError` with `code` and `constraint_name`.
 */
interface DriverErrorFields {
  readonly code?: unknown
  readonly syscall?: unknown
  readonly message?: unknown
  readonly detail?: unknown
  readonly hint?: unknown
  readonly constraint?: unknown
  readonly constraint_name?: unknown
}

function field(error: DriverErrorFields, name: keyof DriverErrorFields): string | undefined {
  const value = error[name]
  return typeof value === 'string' && value !== '' ? value : undefined
}

// Five digits or upper-case letters: a driver's own codes (postgres.js's
// CONNECTION_CLOSED, Node's ERR_INVALID_ARG_TYPE) are not SQLSTATEs.
const SQLSTATE = /^[0-9A-Z]{5}$/

/** What the caller of {@link mapDatabaseError} knows about the statement that failed. */
export interface DatabaseErrorContext {
  /**
   * The versions table the statement was built for, as its definition
   * names it: the repository's own statements, which name only the columns
   * of the definition, so a missing column means the two differ.
   */
  readonly table?: string | undefined
  /** The repository method that sent the statement (`'insert'`, `'asOf'`, …), for the error's `operation`. */
  readonly operation?: string | undefined
  /** The key the statement was for, as the caller gave it, for the error's `key` (a frozen copy). */
  readonly key?: Readonly<Record<string, unknown>> | undefined
  /**
   * The statement was a named one whose plan a schema change made stale,
   * and it has moved to a new name (`NamedStatement.prepareAgain`), so
   * running it again prepares it afresh.
   */
  readonly preparedAgain?: boolean
}

const CONTEXT_KEYS = ['table', 'operation', 'key', 'preparedAgain']

/**
 * `context` says what the statement was for: `table`, `operation` and `key`
 * become the error's fields of those names (an error that is already a
 * `BitemporalError` gets those it lacks), and `table` lets the errors that
 * need it say which table (`TableNeedsUpgradeError`, `TableMismatchError`).
 *
 * Turns anything thrown by a driver (node-postgres, postgres.js, PGlite) or
 * Kysely into a {@link BitemporalError}, the same one whichever driver
 * raised it (see `docs/drivers.md`). This is the only place that knows
 * SQLSTATEs; the original error is kept as `cause`. Only class 40 (serialization failure, deadlock) is retryable;
 * class 22 (data exception) is bad input.
 *
 * @example
 * ```ts
 * try {
 *   await sql`insert into tax_rates ...`.execute(db)
 * } catch (error) {
 *   throw mapDatabaseError(error) // OverlapError for SQLSTATE 23P01
 * }
 * ```
 */
export function mapDatabaseError(error: unknown, context: DatabaseErrorContext = {}): BitemporalError {
  const unknown = unknownKeys(context as Readonly<Record<string, unknown>>, CONTEXT_KEYS)
  if (unknown.length > 0) throw new InvalidInputError(`mapDatabaseError: ${unknownKeysText(unknown)} in its second argument; it takes ${CONTEXT_KEYS.join(', ')}`)
  if (error instanceof BitemporalError) return withContext(error, context)
  const where = { table: context.table, operation: context.operation, key: context.key }
  if (typeof error !== 'object' || error === null) {
    return new DatabaseError(`unexpected non-error thrown: ${String(error)}`, { ...where, cause: error })
  }
  const driverError = error as DriverErrorFields
  const base = field(driverError, 'message') ?? 'unknown database error'
  const lostOrRefused = connectionFailureState(driverError, base)
  if (lostOrRefused !== undefined) return connectionFailure(lostOrRefused, base, { ...where, cause: error })
  const code = field(driverError, 'code')
  const sqlState = code !== undefined && SQLSTATE.test(code) ? code : undefined
  const detail = field(driverError, 'detail')
  const hint = field(driverError, 'hint')
  const message = [base, detail, hint && `Hint: ${hint}`].filter(Boolean).join(' ')
  const options = { ...where, cause: error, sqlState }
  // The library's own SQL functions (bitemporal.erase) raise PostgreSQL's
  // SQLSTATEs with messages written for the caller: pass those on as they are.
  const ownMessage = base.startsWith(MESSAGE_PREFIX)

  switch (sqlState) {
    case '23P01':
      return new OverlapError(
        `two versions of the same key would overlap in valid and system time: ${message}`,
        { ...options, constraint: field(driverError, 'constraint') ?? field(driverError, 'constraint_name') },
      )
    case '40001':
    case '40P01':
      return new ConcurrentWriteError(
        `a concurrent transaction changed the same rows; run the transaction again: ${message}`,
        { ...options, keyLock: keyLockOf(detail) },
      )
    case LIBRARY_SQLSTATE.immutableHistory:
      return new ImmutableHistoryError(message, options)
    case LIBRARY_SQLSTATE.referenceViolation:
      return new ReferenceViolationError(message, options)
    case LIBRARY_SQLSTATE.conversionPending:
      return new ConversionPendingError(message, options)
    case LIBRARY_SQLSTATE.unknownType:
      // A definition's mistake that only the database can see; nothing was created.
      return new InvalidInputError(message, options)
    case LIBRARY_SQLSTATE.historyWouldBeLost:
      return new HistoryWouldBeLostError(message, options)
    case SQLSTATE_DATATYPE_MISMATCH:
      if (RECORD_LENGTHS_DIFFER.test(base)) return tableNeedsUpgrade(message, options, context.table)
      break
    case SQLSTATE_UNDEFINED_COLUMN:
      if (context.table !== undefined) return tableMismatch(context.table, message, options)
      break
    case SQLSTATE_NO_DATA_FOUND:
      // bitemporal.erase: the key has no versions.
      if (ownMessage) return new NotFoundError(message, options)
      break
    case SQLSTATE_INVALID_PARAMETER_VALUE:
      // bitemporal.erase: a missing reason or actor, a key or columns that do not fit the table.
      if (ownMessage) return new InvalidInputError(message, options)
      break
    case SQLSTATE_FEATURE_NOT_SUPPORTED:
      if (context.preparedAgain === true && CACHED_PLAN_CHANGED.test(base)) {
        // The transaction is aborted; running it again prepares the statement afresh.
        return new ConcurrentWriteError(
          `a schema change committed after this connection prepared the statement (its result types changed), which aborted the transaction; run the transaction again, the library prepares the statement again: ${message}`,
          options,
        )
      }
      break
  }
  // Class 22, data exception: a value the column's type cannot hold. The
  // library checks inputs before sending them; this catches the rest.
  if (sqlState?.startsWith('22') === true) {
    return new InvalidInputError(`a value does not fit its column (SQLSTATE ${sqlState}): ${message}`, options)
  }
  return new DatabaseError(sqlState === undefined ? message : `database error ${sqlState}: ${message}`, options)
}

const SQLSTATE_UNDEFINED_COLUMN = '42703'
const SQLSTATE_NO_DATA_FOUND = 'P0002'
const SQLSTATE_INVALID_PARAMETER_VALUE = '22023'
const SQLSTATE_FEATURE_NOT_SUPPORTED = '0A000'
// PostgreSQL's words when it re-plans a prepared statement after a schema
// change and finds other result columns (plancache.c); the same SQLSTATE
// covers unrelated refusals, so the message decides.
const CACHED_PLAN_CHANGED = /^cached plan must not change result type/

/**
 * Whether `error` is PostgreSQL refusing to run a prepared statement whose
 * result types a schema change altered. Nothing of the statement ran.
 */
export function isCachedPlanChanged(error: unknown): boolean {
  const { code, message } = (error ?? {}) as DriverErrorFields
  return code === SQLSTATE_FEATURE_NOT_SUPPORTED && typeof message === 'string' && CACHED_PLAN_CHANGED.test(message)
}

/**
 * `error` with the context fields it lacks filled in: an error the library
 * made deeper down (a statement prepared again) learns which call it failed.
 * Fields it has are kept.
 */
function withContext(error: BitemporalError, context: DatabaseErrorContext): BitemporalError {
  for (const name of ['table', 'operation', 'key'] as const) {
    const value = name === 'key' && context.key !== undefined ? Object.freeze({ ...context.key }) : context[name]
    if (error[name] === undefined && value !== undefined) Object.defineProperty(error, name, { value, enumerable: true })
  }
  return error
}

// What PostgreSQL says when a key column's type has no GiST equality for the
// exclusion constraint: no operator class at all (arrays, composite types,
// 42704), or one whose = is not the type's (citext against btree_gist's text
// class, 42809).
const NO_GIST_EQUALITY = /no default operator class for access method "gist"|is not a member of operator family "gist_/

/**
 * Whether `error` (mapped) is PostgreSQL refusing to build an exclusion
 * constraint because a key column's type has no GiST equality: the
 * definition's mistake, which `createTable` says as such.
 */
export function isMissingGistEquality(error: unknown): error is DatabaseError {
  return error instanceof DatabaseError && ['42704', '42809'].includes(error.sqlState ?? '') && NO_GIST_EQUALITY.test(error.message)
}

type MappedOptions = BitemporalErrorOptions & { cause: unknown; sqlState: string | undefined }

function tableMismatch(table: string, message: string, options: MappedOptions): TableMismatchError {
  return new TableMismatchError(
    `the definition of "${table}" this application runs and the table in the database differ: a column it names is not in the table (renamed or dropped, or not added yet), and nothing was written; ` +
      `deploy the definition that matches the table, or bring the table to the definition in a migration with alterTable, or ALTER TABLE and then upgradeTable: ${message}`,
    options,
  )
}

const SQLSTATE_DATATYPE_MISMATCH = '42804'
// The history guard's condition compares a row built from the columns the
// table had when the guard was made with the whole new row (src/schema/table-triggers-sql.ts);
// after a plain ALTER TABLE … ADD COLUMN their lengths differ. No other
// statement the library sends compares whole rows.
const RECORD_LENGTHS_DIFFER = /cannot compare record types with different numbers of columns/

function tableNeedsUpgrade(message: string, options: MappedOptions, table: string | undefined): TableNeedsUpgradeError {
  const which = table === undefined ? 'a versions table' : `"${table}"`
  return new TableNeedsUpgradeError(
    `the columns of ${which} changed (an ALTER TABLE outside the library) and its history guard still lists the old ones, so writes that close a version fail and nothing was written; ` +
      `add the new columns to the table's definition and run upgradeTable(db, definition) in a migration (docs/schema.md): ${message}`,
    options,
  )
}

// SQLSTATE class 08, connection exception: what the client itself reports
// when it cannot reach the server or loses its socket (decision 79).
const SQLSTATE_UNABLE_TO_CONNECT = '08001'
const SQLSTATE_CONNECTION_FAILURE = '08006'

/** postgres.js's own codes for a connection it could not open or lost. */
const POSTGRES_JS_CONNECTION_CODES: Readonly<Record<string, string>> = {
  CONNECT_TIMEOUT: SQLSTATE_UNABLE_TO_CONNECT,
  CONNECTION_CLOSED: SQLSTATE_CONNECTION_FAILURE,
  CONNECTION_DESTROYED: SQLSTATE_CONNECTION_FAILURE,
  CONNECTION_ENDED: SQLSTATE_CONNECTION_FAILURE,
}

/**
 * The class-08 SQLSTATE for a connection failure that the client detected
 * rather than the server reported, as PgJDBC assigns them; `undefined` for
 * anything else. Drivers report these as Node system errors (`syscall` set,
 * and a `code` such as ECONNRESET that is not a SQLSTATE), as errors with
 * codes of their own (postgres.js: CONNECTION_CLOSED, …), or, node-postgres,
 * with no code at all ("Connection terminated unexpectedly").
 */
function connectionFailureState(error: DriverErrorFields, message: string): string | undefined {
  if (typeof error.syscall === 'string') {
    return error.syscall === 'connect' || error.syscall === 'getaddrinfo' ? SQLSTATE_UNABLE_TO_CONNECT : SQLSTATE_CONNECTION_FAILURE
  }
  if (typeof error.code === 'string' && Object.hasOwn(POSTGRES_JS_CONNECTION_CODES, error.code)) return POSTGRES_JS_CONNECTION_CODES[error.code]
  if (error.code !== undefined) return undefined
  if (/^Connection terminated due to connection timeout/.test(message)) return SQLSTATE_UNABLE_TO_CONNECT
  if (/^Connection terminated|is not queryable/.test(message)) return SQLSTATE_CONNECTION_FAILURE
  return undefined
}

function connectionFailure(sqlState: string, message: string, options: BitemporalErrorOptions): DatabaseError {
  const what =
    sqlState === SQLSTATE_UNABLE_TO_CONNECT
      ? 'could not connect to the server; check the host, the port and that the server is up'
      : 'the connection to the server was lost; a COMMIT in flight may have taken effect, so read the rows back before writing again'
  return new DatabaseError(`${what} (SQLSTATE ${sqlState}): ${message}`, { ...options, sqlState })
}

/** The key lock `bitemporal.raise_concurrent_write` names at the end of its detail (library SQL 0008). */
function keyLockOf(detail: string | undefined): string | undefined {
  return detail === undefined ? undefined : /; key lock (-?\d{1,20})$/.exec(detail)?.[1]
}

/**
 * Whether running the work again may succeed: a typed error's own
 * `retryable` (a `ConcurrentWriteError`), or SQLSTATE class 40
 * (serialization failure, deadlock) on an error not typed yet, whoever raised
 * it. The one test the retries of single writes and of `transaction()` make
 * (docs/reliability.md "Retries").
 *
 * @example
 * ```ts
 * isRetryable({ code: '40001' }) // true
 * isRetryable({ code: '57P01' }) // false: the connection is gone, the COMMIT may have happened
 * ```
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof BitemporalError) return error.retryable
  const code = (error as DriverErrorFields | null)?.code
  return typeof code === 'string' && code.startsWith('40')
}

/**
 * An error the library's own SQL raised (SQLSTATE class BT, see
 * {@link LIBRARY_SQLSTATE}) that is not typed yet: inside `transaction()` it
 * is the library's to type even when the caller's function threw it.
 *
 * @example
 * ```ts
 * isLibraryError({ code: 'BT002' }) // true: a temporal reference, checked at COMMIT
 * ```
 */
export function isLibraryError(error: unknown): boolean {
  const code = (error as DriverErrorFields | null)?.code
  return !(error instanceof BitemporalError) && typeof code === 'string' && code.startsWith('BT')
}
