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

Options:
${HELP_OPTION}
  --version         Print the version

Run "bitemporal migrate <command> --help" for the options of a command.

Environment:
  DATABASE_URL        Default for --url
  BITEMPORAL_DEBUG=1  Print stack traces of errors

Exit codes: 0 success, 1 failure (or edited/missing migrations for status), 2 bad usage.
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
or the down(db) export of a module).

Options:
${CONNECTION_OPTIONS}
  --allow-edited    Run even if applied migrations were edited since
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
${HELP_OPTION}
`,
})
