import { inspect } from 'node:util'
import pg from 'pg'
import { BitemporalError } from '../errors/errors.js'
import { mapDatabaseError } from '../errors/map-database-error.js'
import type { CliIo } from './cli-io.js'
import { helpCommand } from './usage.js'
import { UsageError } from './usage-error.js'

/** Exit code of a run that failed. */
export const EXIT_FAILURE = 1
/** Exit code of a command line that is wrong. */
export const EXIT_USAGE = 2

/**
 * Prints an error the way the CLI promises: one line (`error [CODE]:
 * message` for library errors; `bitemporal: message` for a usage error,
 * then one line naming the help to read), and stack traces only with
 * `BITEMPORAL_DEBUG=1`, since users of a CLI act on the message and a
 * trace, or a page of help, buries it.
 *
 * @returns the exit code for it.
 */
export function reportError(error: unknown, io: CliIo): number {
  if (error instanceof UsageError) {
    io.stderr(`bitemporal: ${error.message}\nRun '${helpCommand(error.usage)}' for usage.\n`)
    return EXIT_USAGE
  }
  // A query outside the runner (e.g. in status) throws pg's own error.
  const shown = error instanceof pg.DatabaseError ? mapDatabaseError(error) : error
  if (shown instanceof BitemporalError) {
    io.stderr(`error [${shown.code}]: ${shown.description}\n`)
  } else {
    io.stderr(`error: ${shown instanceof Error ? shown.message : String(shown)}\n`)
  }
  if (io.env['BITEMPORAL_DEBUG'] === '1') io.stderr(traces(shown))
  return EXIT_FAILURE
}

function traces(error: unknown): string {
  const lines: string[] = []
  const seen = new Set<unknown>()
  let current: unknown = error
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current)
    lines.push(`${lines.length === 0 ? '' : 'caused by: '}${current.stack ?? current.message}`)
    current = current.cause
  }
  if (current !== undefined && !seen.has(current)) lines.push(`caused by: ${inspect(current)}`)
  return `${lines.join('\n')}\n`
}
