import { parseArgs } from 'node:util'
import { argumentText, looksLikeUrl, URL_IN_PLACE } from './argument-text.js'
import { MIGRATION_NAME } from './create-migration.js'
import { type DiffCommand, parseDiffOptions } from './parse-diff-options.js'
import { type HistoryCommand, parseHistoryOptions } from './parse-history-options.js'
import { UsageError } from './usage-error.js'
import { ACTION_USAGE, CHECK_USAGE, DIFF_USAGE, HISTORY_USAGE, MAIN_USAGE, type MigrateAction, MIGRATE_USAGE } from './usage.js'

/** `bitemporal migrate up|down|status`: what it needs to reach the database. */
export interface MigrateCommand {
  readonly kind: 'migrate'
  readonly action: Exclude<MigrateAction, 'create'>
  /** As given, relative to the working directory. */
  readonly folder: string
  /** `--url`; `undefined` means "use DATABASE_URL". */
  readonly url: string | undefined
  readonly schema: string | undefined
  readonly table: string | undefined
  readonly allowEdited: boolean
  /** `--discard-history` (down only): let the reverted migration drop bitemporal tables that hold rows. */
  readonly discardHistory: boolean
}

/** `bitemporal migrate create <name>`. */
export interface CreateCommand {
  readonly kind: 'create'
  readonly folder: string
  readonly name: string
  readonly typescript: boolean
  /** `--table-change`: the template that changes a bitemporal table with alterTable. */
  readonly tableChange: boolean
}

/** `bitemporal check`. */
export interface CheckCommand {
  readonly kind: 'check'
  readonly url: string | undefined
}

export type { HistoryCommand } from './parse-history-options.js'
export type { DiffCommand } from './parse-diff-options.js'

/** What one command line asks for. */
export type CliCommand =
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'version' }
  | MigrateCommand
  | CreateCommand
  | HistoryCommand
  | DiffCommand
  | CheckCommand

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  folder: { type: 'string' },
  url: { type: 'string' },
  schema: { type: 'string' },
  table: { type: 'string' },
  'allow-edited': { type: 'boolean' },
  'discard-history': { type: 'boolean' },
  ts: { type: 'boolean' },
  'table-change': { type: 'boolean' },
  key: { type: 'string' },
  'valid-at': { type: 'string' },
  'known-at': { type: 'string' },
  svg: { type: 'string' },
  before: { type: 'string' },
  after: { type: 'string' },
  'valid-from': { type: 'string' },
  'valid-to': { type: 'string' },
} as const

type OptionName = keyof typeof OPTIONS

const CONNECTION: readonly OptionName[] = ['folder', 'url', 'schema', 'table']

// One parse with every option, then a check per action: parseArgs cannot
// switch option sets at the first positional, and a second hand-rolled
// split of argv is exactly the parser this avoids.
const ACCEPTED: Readonly<Record<MigrateAction | 'history' | 'diff' | 'check', readonly OptionName[]>> = {
  up: [...CONNECTION, 'allow-edited'],
  down: [...CONNECTION, 'allow-edited', 'discard-history'],
  status: CONNECTION,
  create: ['folder', 'ts', 'table-change'],
  history: ['url', 'key', 'valid-at', 'known-at', 'svg'],
  diff: ['url', 'before', 'after', 'key', 'valid-from', 'valid-to', 'svg'],
  check: ['url'],
}

const ALWAYS: readonly OptionName[] = ['help', 'version']

const ACTIONS = new Set<string>(['up', 'down', 'status', 'create'])

function isAction(word: string | undefined): word is MigrateAction {
  return word !== undefined && ACTIONS.has(word)
}

/**
 * Reads a command line (without `node` and the script) with Node's strict
 * `util.parseArgs`. Pure: no environment, no file system.
 *
 * @throws {UsageError} when the line is not a valid command.
 *
 * @example
 * ```ts
 * parseCommand(['migrate', 'up', '--folder', 'db/migrations'])
 * // { kind: 'migrate', action: 'up', folder: 'db/migrations', url: undefined, ... }
 * ```
 */
export function parseCommand(argv: readonly string[]): CliCommand {
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true, tokens: true })
  } catch (error) {
    throw optionError(argv, error)
  }
  const { values, positionals, tokens } = parsed
  const [command, action, ...rest] = positionals

  if (values.help === true) return { kind: 'help', text: usageFor(positionals) }
  if (values.version === true) return { kind: 'version' }

  if (command === undefined) throw new UsageError('missing command: migrate, history, diff or check', MAIN_USAGE)
  if (command === 'history' || command === 'diff' || command === 'check') return inspectCommand(command, positionals.slice(1), values, tokens)
  if (command !== 'migrate') throw new UsageError(`unknown command ${argumentText([command])}`, MAIN_USAGE)
  if (action === undefined) throw new UsageError('missing migrate command: up, down, status or create', MIGRATE_USAGE)
  if (!isAction(action)) throw new UsageError(`unknown migrate command ${argumentText([action])}`, MIGRATE_USAGE)

  const usage = ACTION_USAGE[action]
  rejectOptionsOutside(tokens, action, `migrate ${action}`, usage)
  const folder = nonEmpty(values.folder, '--folder', usage) ?? 'migrations'

  if (action === 'create') {
    const [name, ...extra] = rest
    if (name === undefined) throw new UsageError('missing the name of the migration', usage)
    if (extra.length > 0) throw new UsageError(`unexpected argument ${argumentText(extra)}`, usage)
    if (looksLikeUrl(name)) throw new UsageError(`invalid migration name ${URL_IN_PLACE}`, usage)
    if (!MIGRATION_NAME.test(name)) {
      throw new UsageError(`invalid migration name "${name}": use letters, digits and underscores, at most 200 characters`, usage)
    }
    return { kind: 'create', folder, name, typescript: values.ts === true, tableChange: values['table-change'] === true }
  }

  if (rest.length > 0) throw new UsageError(`unexpected argument ${argumentText(rest)}`, usage)
  return {
    kind: 'migrate',
    action,
    folder,
    url: nonEmpty(values.url, '--url', usage),
    schema: nonEmpty(values.schema, '--schema', usage),
    table: nonEmpty(values.table, '--table', usage),
    allowEdited: values['allow-edited'] === true,
    discardHistory: values['discard-history'] === true,
  }
}

type Parsed = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true; tokens: true }>>

function rejectOptionsOutside(tokens: Parsed['tokens'], scope: keyof typeof ACCEPTED, command: string, usage: string): void {
  for (const token of tokens) {
    if (token.kind !== 'option') continue
    const name = token.name
    if (!ALWAYS.includes(name) && !ACCEPTED[scope].includes(name)) {
      throw new UsageError(`option --${name} does not apply to "${command}"`, usage)
    }
  }
}

/** `history <table> ...`, `diff <table> ...` and `check`: commands that read bitemporal tables. */
function inspectCommand(
  command: 'history' | 'diff' | 'check',
  positionals: readonly string[],
  values: Parsed['values'],
  tokens: Parsed['tokens'],
): HistoryCommand | DiffCommand | CheckCommand {
  const usage = command === 'history' ? HISTORY_USAGE : command === 'diff' ? DIFF_USAGE : CHECK_USAGE
  rejectOptionsOutside(tokens, command, command, usage)
  const url = nonEmpty(values.url, '--url', usage)
  if (command === 'check') {
    if (positionals.length > 0) {
      throw new UsageError(positionals.some(looksLikeUrl) ? `unexpected argument ${URL_IN_PLACE}` : `unexpected argument ${argumentText(positionals)}: check reads every registered table`, usage)
    }
    return { kind: 'check', url }
  }
  const [table, ...extra] = positionals
  if (table === undefined) {
    throw new UsageError(command === 'diff' ? 'missing the table: bitemporal diff <table> --before <time>' : 'missing the table: bitemporal history <table> --key <json>', usage)
  }
  if (looksLikeUrl(table)) throw new UsageError('the table is missing, and a URL was given in its place (did you mean --url?)', usage)
  if (extra.length > 0) throw new UsageError(`unexpected argument ${argumentText(extra)}`, usage)
  if (command === 'diff') {
    return parseDiffOptions(table, {
      before: values.before,
      after: values.after,
      key: values.key,
      validFrom: values['valid-from'],
      validTo: values['valid-to'],
      svg: values.svg,
      url,
    })
  }
  return parseHistoryOptions(table, { key: values.key, validAt: values['valid-at'], knownAt: values['known-at'], svg: values.svg, url })
}

function nonEmpty(value: string | undefined, option: string, usage: string): string | undefined {
  if (value === '') throw new UsageError(`${option} must not be empty`, usage)
  return value
}

/** The help of the deepest command that the positionals name. */
function usageFor(positionals: readonly string[]): string {
  const [command, action] = positionals
  if (command === 'history') return HISTORY_USAGE
  if (command === 'diff') return DIFF_USAGE
  if (command === 'check') return CHECK_USAGE
  if (command !== 'migrate') return MAIN_USAGE
  return isAction(action) ? ACTION_USAGE[action] : MIGRATE_USAGE
}

/**
 * The library's own message for what the strict parse refused, naming the
 * option and the options of the command being typed; Node's text speaks of
 * its parser ("To specify a positional argument starting with a '-' …")
 * and quotes unevenly. Values are never echoed: one may be a password.
 */
function optionError(argv: readonly string[], error: unknown): UsageError {
  // A lenient parse of the same line finds the option at fault and the command typed.
  const { positionals, tokens } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: false, tokens: true })
  const usage = usageFor(positionals)
  const [command, action] = positionals
  const scope = command === 'history' || command === 'diff' || command === 'check' ? command : command === 'migrate' && isAction(action) ? action : undefined
  const commandName = scope === undefined ? undefined : scope === command ? command : `migrate ${scope}`
  const named = commandName === undefined ? '' : ` for "${commandName}"`
  const accepted = [...(scope === undefined ? ALWAYS : [...ACCEPTED[scope], 'help']).map((name) => `--${name}`)].join(', ')
  for (const token of tokens) {
    if (token.kind !== 'option') continue
    const option = Object.hasOwn(OPTIONS, token.name) ? OPTIONS[token.name as OptionName] : undefined
    if (option === undefined) return new UsageError(`unknown option ${token.rawName}${named}; the options are ${accepted}`, usage)
    // An option of another command is that, whatever its value: the same words as without one.
    if (scope !== undefined && !ALWAYS.includes(token.name as OptionName) && !ACCEPTED[scope].includes(token.name as OptionName)) {
      return new UsageError(`option ${token.rawName} does not apply to "${String(commandName)}"`, usage)
    }
    if (option.type === 'boolean' && token.value !== undefined) return new UsageError(`option ${token.rawName} takes no value`, usage)
    if (option.type === 'string' && token.value === undefined) return new UsageError(`option ${token.rawName} needs a value: ${token.rawName} <value>`, usage)
    if (option.type === 'string' && !token.inlineValue && token.value?.startsWith('-') === true) {
      return new UsageError(`option ${token.rawName} needs a value, and the word after it starts with "-"; for such a value write ${token.rawName}=<value>`, usage)
    }
  }
  // Not reached with the options above; kept so that a refusal is never lost.
  return new UsageError(error instanceof Error ? error.message : String(error), usage)
}
