import type { CliIo } from './cli-io.js'
import { UsageError } from './usage-error.js'

/**
 * The database URL of a command: `--url`, else `DATABASE_URL` (an empty
 * variable counts as unset, as a shell's `DATABASE_URL= cmd` means "none").
 *
 * @throws {UsageError} with `usage` when neither is given.
 */
export function databaseUrl(option: string | undefined, io: CliIo, usage: string): string {
  const fromEnv = io.env['DATABASE_URL']
  const url = option ?? (fromEnv === '' ? undefined : fromEnv)
  if (url === undefined) throw new UsageError('no database: set DATABASE_URL or pass --url <url>', usage)
  return url
}
