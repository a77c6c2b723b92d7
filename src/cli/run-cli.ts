import type { CliIo } from './cli-io.js'
import { checkCommand } from './check-command.js'
import { createCommand } from './create-command.js'
import { diffCommand } from './diff-command.js'
import { historyCommand } from './history-command.js'
import { migrateCommand } from './migrate-command.js'
import { parseCommand } from './parse-command.js'
import { reportError } from './report-error.js'
import { packageVersion } from './version.js'

/**
 * The `bitemporal` command, callable in-process: parses `argv` (the
 * arguments after the script), runs the command, prints to `io`, and returns
 * the exit code instead of exiting. Never rejects.
 *
 * Exit codes: 0 success; 1 failure, `migrate status` found edited or
 * missing migrations, or `check` found a problem; 2 the command line is
 * wrong (or no database URL, or one that is not a PostgreSQL URL, or
 * `history` was given a table or key that the database does not have).
 *
 * @example
 * ```ts
 * const code = await runCli(['migrate', 'status', '--folder', 'db/migrations'], {
 *   stdout: (text) => process.stdout.write(text),
 *   stderr: (text) => process.stderr.write(text),
 *   env: process.env,
 * })
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const command = parseCommand(argv)
    switch (command.kind) {
      case 'help':
        io.stdout(command.text)
        return 0
      case 'version':
        io.stdout(`bitemporal ${await packageVersion()}\n`)
        return 0
      case 'create':
        return await createCommand(command, io)
      case 'migrate':
        return await migrateCommand(command, io)
      case 'history':
        return await historyCommand(command, io)
      case 'diff':
        return await diffCommand(command, io)
      case 'check':
        return await checkCommand(command, io)
    }
  } catch (error) {
    return reportError(error, io)
  }
}
