/**
 * The command line itself is wrong (unknown command or option, missing
 * argument, no database URL or one that is not PostgreSQL's). The CLI
 * prints the message and the command that shows `usage`
 * (`Run 'bitemporal migrate up --help' for usage.`), and exits with 2 so
 * scripts can tell it from a failed run (1).
 */
export class UsageError extends Error {
  /** The help text of the command the user was typing. */
  readonly usage: string

  constructor(message: string, usage: string) {
    super(message)
    this.name = 'UsageError'
    this.usage = usage
  }
}
