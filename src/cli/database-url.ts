import type { CliIo } from './cli-io.js'
import { UsageError } from './usage-error.js'

// libpq's two spellings; pg and every PostgreSQL tool take both.
const POSTGRES_URL = /^postgres(?:ql)?:\/\//i
// A scheme short and plain enough to repeat in a message without echoing a secret.
const OTHER_SCHEME = /^([a-z][a-z0-9+.-]{0,19}):\/\//i
const EXAMPLE = 'postgres://user:password@host:5432/database'

/**
 * The database URL of a command: `--url`, else `DATABASE_URL` (an empty
 * variable counts as unset, as a shell's `DATABASE_URL= cmd` means "none").
 * It must be a PostgreSQL URL (`postgres://` or `postgresql://`): `pg`
 * would read `not-a-url` as a database of that name on a host called
 * `base`, and a `mysql://` URL as PostgreSQL on MySQL's host, so both are
 * refused here, before any connection, without echoing the URL (it may
 * hold a password). A Unix socket is a `host` parameter:
 * `postgres:///app?host=/var/run/postgresql`.
 *
 * @throws {UsageError} with `usage` when neither is given, or the URL is not a PostgreSQL URL.
 *
 * @example
 * ```ts
 * databaseUrl(undefined, { ...io, env: { DATABASE_URL: 'postgres://app@db:5432/app' } }, usage)  // 'postgres://app@db:5432/app'
 * databaseUrl('mysql://app@db/app', io, usage)  // throws: --url is a mysql:// URL, not a PostgreSQL URL …
 * ```
 */
export function databaseUrl(option: string | undefined, io: CliIo, usage: string): string {
  const fromEnv = io.env['DATABASE_URL']
  const url = option ?? (fromEnv === '' ? undefined : fromEnv)
  if (url === undefined) throw new UsageError('no database: set DATABASE_URL or pass --url <url>', usage)
  if (!POSTGRES_URL.test(url)) {
    const source = option === undefined ? 'DATABASE_URL' : '--url'
    const scheme = OTHER_SCHEME.exec(url)?.[1]
    throw new UsageError(
      scheme === undefined
        ? `${source} is not a PostgreSQL URL: write it as ${EXAMPLE} (for a Unix socket, postgres:///database?host=/var/run/postgresql)`
        : `${source} is a ${scheme.toLowerCase()}:// URL, not a PostgreSQL URL: bitemporal works on PostgreSQL only; write it as ${EXAMPLE}`,
      usage,
    )
  }
  return url
}
