/** The actions of `bitemporal migrate`. */
export type MigrateAction = 'up' | 'down' | 'status' | 'create'

const CONNECTION_OPTIONS = `  --folder <dir>    Migration folder, relative to the working directory (default: migrations)
  --url <url>       PostgreSQL URL (default: $DATABASE_URL)
  --schema <name>   Schema of the migration bookkeeping tables (default: bitemporal)
  --table <name>    Table of applied migrations (default: migration)`

const HELP_OPTION = '  -h, --help        Show this help'

/** `bitemporal --help`. */
export const MAIN_USAGE = `Usage: bitemporal <command> [options]

Commands:
  migrate up              Install the library SQL, then apply every pending migration
  migrate down            Revert the last applied migration
  migrate status          List the migrations and their state
  migrate create <name>   Write a new migration file from a template
  history <table> --key <json>
                          Print one key's timeline, history and diagram
  diff <table> --before <time>
                          Print where the timelines known at two instants differ
  check                   Health-check every bitemporal table; exit 1 on a problem

Options:
${HELP_OPTION}
  --version         Print the version

Run "bitemporal migrate <command> --help", "bitemporal history --help",
"bitemporal diff --help" or "bitemporal check --help" for the options of a
command.

Environment:
  DATABASE_URL        Default for --url
  BITEMPORAL_DEBUG=1  Print stack traces of errors

Exit codes: 0 success, 1 failure (edited/missing migrations for status, a
problem for check), 2 bad usage.
`

/** `bitemporal migrate --help`. */
export const MIGRATE_USAGE = `Usage: bitemporal migrate <up|down|status|create> [options]

Commands:
  up              Install the library SQL, then apply every pending migration in one transaction
  down            Revert the last applied migration
  status          List the migrations and their state; exit 1 if any is edited or missing
  create <name>   Write <folder>/<UTC timestamp>_<name>.sql (or .ts with --ts)

Options:
${CONNECTION_OPTIONS}
  --allow-edited    up/down: run even if applied migrations were edited since
  --discard-history down: let the migration drop bitemporal tables that hold rows
  --ts              create: write a TypeScript migration instead of SQL
${HELP_OPTION}
`

/** The help text of each `bitemporal migrate` action. */
export const ACTION_USAGE: Readonly<Record<MigrateAction, string>> = Object.freeze({
  up: `Usage: bitemporal migrate up [options]

Installs or upgrades the library SQL (schema "bitemporal"), then applies every
pending migration of the folder, all in one transaction: if one fails, none is
applied. Refuses to run if an applied migration was edited since it ran.

Options:
${CONNECTION_OPTIONS}
  --allow-edited    Run even if applied migrations were edited since
${HELP_OPTION}
`,
  down: `Usage: bitemporal migrate down [options]

Reverts the last applied migration (the "-- migrate:down" part of a .sql file,
or the down(db) export of a module). A bitemporal table that holds rows is not
dropped (its rows are its history): the migration fails and is not reverted,
unless --discard-history is given.

Options:
${CONNECTION_OPTIONS}
  --allow-edited    Run even if applied migrations were edited since
  --discard-history Let the migration drop bitemporal tables that hold rows, and their history
${HELP_OPTION}
`,
  status: `Usage: bitemporal migrate status [options]

Lists every migration of the folder and of the record with its state:
applied, pending, edited (changed after it ran) or missing (ran, file gone).
Exits with 1 if any migration is edited or missing, so CI can fail on it.

Options:
${CONNECTION_OPTIONS}
${HELP_OPTION}
`,
  create: `Usage: bitemporal migrate create <name> [options]

Writes <folder>/<UTC timestamp YYYYMMDDHHmmss>_<name>.sql from a template,
creating the folder if needed. <name> is letters, digits and underscores.
Needs no database.

Options:
  --folder <dir>    Migration folder, relative to the working directory (default: migrations)
  --ts              Write a TypeScript module (up/down functions) instead of SQL
  --table-change    Write a TypeScript module that changes a bitemporal table
                    with alterTable (add, widen, rename columns)
${HELP_OPTION}
`,
})

/** `bitemporal history --help`. */
export const HISTORY_USAGE = `Usage: bitemporal history <table> --key <json> [options]

Prints the timeline of one key (as known at --known-at), the version valid at
--valid-at, every version ever recorded, and a text diagram of the history.
<table> is a registered bitemporal table, optionally schema-qualified
(billing.tax_rates).

Options:
  --key <json>      The key as a JSON object, e.g. '{"state_id":1,"tax_type":"income_tax"}' (required)
  --valid-at <day>  Also print the version valid then (YYYY-MM-DD; an ISO time on timestamp tables)
  --known-at <time> System time to read the timeline at: ISO time with Z or offset, or
                    YYYY-MM-DD for midnight UTC (default: current knowledge)
  --svg <file>      Also write the history diagram as SVG, relative to the working directory
  --url <url>       PostgreSQL URL (default: $DATABASE_URL)
${HELP_OPTION}
`

/** `bitemporal diff --help`. */
export const DIFF_USAGE = `Usage: bitemporal diff <table> --before <time> [options]

Prints where, in valid time, the timeline as known at --before differs from
the timeline as known at --after (default: current knowledge): one row per
stretch of valid time with its values then and now ("-" where no version was
valid), for every key or one, and on audited tables who changed it and why.
<table> is a registered bitemporal table, optionally schema-qualified
(billing.tax_rates).

Options:
  --before <time>   The earlier system time: ISO time with Z or offset, or
                    YYYY-MM-DD for midnight UTC (required)
  --after <time>    The later system time, read like --before (default: current knowledge)
  --key <json>      Only this key, as a JSON object, e.g. '{"state_id":1,"tax_type":"income_tax"}'
  --valid-from <day>
                    Clamp to valid time from this day (an ISO time on timestamp tables)
  --valid-to <day>  Clamp to valid time before this day (exclusive)
  --svg <file>      Also write the key's diagram with the changes highlighted (needs --key)
  --url <url>       PostgreSQL URL (default: $DATABASE_URL)
${HELP_OPTION}
`

/** `bitemporal check --help`. */
export const CHECK_USAGE = `Usage: bitemporal check [options]

Checks every table registered in bitemporal.versioned_table: the exclusion
constraint, CHECK constraints, indexes and guard triggers are present, valid
and enabled, and the rows hold no malformed ranges, no system times after the
clock and no overlapping current versions. Prints one line per table and per
problem; exits 1 if there is any problem.

Options:
  --url <url>       PostgreSQL URL (default: $DATABASE_URL)
${HELP_OPTION}
`

/**
 * The command line that prints `usage`: its first line's words up to the
 * first placeholder, then `--help`. A usage error points to it instead of
 * printing the help, which would bury the one line that says what is wrong.
 *
 * @example
 * ```ts
 * helpCommand(ACTION_USAGE.up)  // 'bitemporal migrate up --help'
 * helpCommand(MAIN_USAGE)       // 'bitemporal --help'
 * ```
 */
export function helpCommand(usage: string): string {
  const [firstLine = ''] = usage.split('\n')
  const words = firstLine.replace(/^Usage:\s*/, '').split(/\s+/)
  const end = words.findIndex((word) => word.startsWith('<') || word.startsWith('['))
  return [...(end === -1 ? words : words.slice(0, end)), '--help'].join(' ')
}
