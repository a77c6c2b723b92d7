import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { AnyKysely } from '../any-kysely.js'
import { ConnectionError } from './connection-error.js'
import { UsageError } from './usage-error.js'

/** Where a URL points, for messages: everything but the password. */
export interface DatabaseTarget {
  readonly host: string
  readonly port: number
  readonly database: string | undefined
  readonly user: string | undefined
}

/**
 * Reads host, port, database and user from a connection URL the way `pg`
 * will (including its `PG*` environment defaults), so messages name the
 * server `pg` really dials.
 *
 * @throws {UsageError} when `pg` cannot parse the URL; the URL is not echoed, as it may hold a password.
 */
export function databaseTarget(url: string, usage: string): DatabaseTarget {
  let client: pg.Client
  try {
    // Constructing a Client only parses its configuration; it does not connect.
    client = new pg.Client({ connectionString: url })
  } catch (error) {
    throw new UsageError(
      `the database URL is malformed (${error instanceof Error ? error.message : String(error)}); expected postgres://user:password@host:port/database`,
      usage,
    )
  }
  return { host: client.host, port: client.port, database: client.database, user: client.user }
}

/** "host:port (database "d", user "u")" */
export function describeTarget(target: DatabaseTarget): string {
  const details = [
    target.database === undefined ? undefined : `database "${target.database}"`,
    target.user === undefined ? undefined : `user "${target.user}"`,
  ].filter((detail) => detail !== undefined)
  return `${target.host}:${target.port}${details.length > 0 ? ` (${details.join(', ')})` : ''}`
}

/** How long the CLI waits for a connection before it reports the server unreachable. */
export const CONNECT_TIMEOUT_MS = 10_000

/**
 * Creates the CLI's Kysely instance over a small pool, and checks that a
 * connection can be made, so that a wrong URL or a server that is down is
 * reported as such instead of as a failed migration. Destroy the returned
 * instance when done (also when this throws, it has already been destroyed).
 *
 * @throws {ConnectionError} naming host:port when no connection can be made.
 */
export async function openDatabase(url: string, target: DatabaseTarget): Promise<AnyKysely> {
  // pg waits for the operating system's TCP timeout (minutes) by default;
  // a deploy step should say "cannot connect" sooner than that.
  const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: CONNECT_TIMEOUT_MS })
  // An idle connection that the server drops would otherwise be an
  // unhandled 'error' event and kill the process; the next query reports it.
  pool.on('error', () => undefined)
  const db: AnyKysely = new Kysely({ dialect: new PostgresDialect({ pool }) })
  try {
    const client = await pool.connect()
    client.release()
  } catch (error) {
    await db.destroy()
    throw new ConnectionError(`cannot connect to PostgreSQL at ${describeTarget(target)}: ${reason(error)}`, { cause: error })
  }
  return db
}

function reason(error: unknown): string {
  // Node reports a failed dual-stack connect ("localhost" -> ::1 and
  // 127.0.0.1) as an AggregateError whose own message is empty.
  if (error instanceof AggregateError && error.errors.length > 0) {
    return [...new Set(error.errors.map(reason))].join('; ')
  }
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code
    return error.message !== '' ? error.message : (code ?? error.name)
  }
  return String(error)
}
