import { InvalidInputError } from '../errors/errors.js'
import { instantMicros, toDay, toInstant } from '../time/date-input.js'
import { parseKeyOption } from './parse-key-option.js'
import { UsageError } from './usage-error.js'
import { DIFF_USAGE } from './usage.js'

/** `bitemporal diff <table> --before <time> ...`, its values checked as far as possible without the database. */
export interface DiffCommand {
  readonly kind: 'diff'
  /** As typed: `tax_rates` or `billing.tax_rates`. */
  readonly table: string
  /** `--before` as an ISO instant (a day becomes midnight UTC). */
  readonly before: string
  /** `--after` likewise, or `undefined` for current knowledge. */
  readonly after: string | undefined
  /** `--key` parsed, or `undefined` for every key; its columns and types are checked against the table later. */
  readonly key: Readonly<Record<string, unknown>> | undefined
  /** `--valid-from`, `--valid-to`: a day or an ISO instant, as typed; which one the table takes is checked later. */
  readonly validFrom: string | undefined
  readonly validTo: string | undefined
  /** `--svg`, as given, relative to the working directory (needs `--key`: the picture is one key's). */
  readonly svg: string | undefined
  readonly url: string | undefined
}

/** The raw option values of a diff command line. */
export interface DiffOptionValues {
  readonly before: string | undefined
  readonly after: string | undefined
  readonly key: string | undefined
  readonly validFrom: string | undefined
  readonly validTo: string | undefined
  readonly svg: string | undefined
  readonly url: string | undefined
}

const DAY = /^\d{4}-\d{2}-\d{2}$/

/**
 * Checks the values of `bitemporal diff` that need no database: the system
 * instants are instants (or days, meaning midnight UTC) and `--after` comes
 * after `--before`, `--key` is a JSON object, the window's ends are days or
 * instants. Pure.
 *
 * @throws {UsageError} naming the option and what to write instead.
 */
export function parseDiffOptions(table: string, values: DiffOptionValues): DiffCommand {
  if (values.before === undefined) {
    throw new UsageError('missing --before: give the system time of the earlier state of knowledge, e.g. --before 2024-04-01T00:00:00Z', DIFF_USAGE)
  }
  if (values.svg === '') throw new UsageError('--svg must not be empty', DIFF_USAGE)
  if (values.svg !== undefined && values.key === undefined) throw new UsageError('--svg draws one key: give --key too', DIFF_USAGE)
  const before = parseSystemTime(values.before, '--before')
  const after = values.after === undefined ? undefined : parseSystemTime(values.after, '--after')
  if (after !== undefined && instantMicros(after) <= instantMicros(before)) {
    throw new UsageError(`--after (${after}) must come after --before (${before})`, DIFF_USAGE)
  }
  return Object.freeze({
    kind: 'diff',
    table,
    before,
    after,
    key: values.key === undefined ? undefined : parseKeyOption(values.key, DIFF_USAGE),
    validFrom: values.validFrom === undefined ? undefined : parsePoint(values.validFrom, '--valid-from'),
    validTo: values.validTo === undefined ? undefined : parsePoint(values.validTo, '--valid-to'),
    svg: values.svg,
    url: values.url,
  })
}

function parseSystemTime(text: string, option: string): string {
  // A day alone means its start in UTC: "as known on the morning of" would depend on a time zone.
  if (DAY.test(text)) return `${checked(() => toDay(text, option))}T00:00:00Z`
  return checked(() => toInstant(text, option))
}

function parsePoint(text: string, option: string): string {
  if (DAY.test(text)) return checked(() => toDay(text, option))
  return checked(
    () => toInstant(text, option),
    `${option} must be a day YYYY-MM-DD that exists (or an ISO time with Z on a table with timestamp valid time), got ${JSON.stringify(text.slice(0, 40))}`,
  )
}

function checked(parse: () => string, message?: string): string {
  try {
    return parse()
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error
    // A Date is what the library's own message offers; a command line cannot pass one.
    return usageFail(message ?? error.description.replace(' (or a Date)', ''))
  }
}

function usageFail(message: string): never {
  throw new UsageError(message, DIFF_USAGE)
}
