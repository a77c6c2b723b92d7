import { InvalidInputError } from '../errors/errors.js'
import { toDay, toInstant } from '../time/date-input.js'
import { KEY_EXAMPLE, parseKeyOption } from './parse-key-option.js'
import { UsageError } from './usage-error.js'
import { HISTORY_USAGE } from './usage.js'

/** `bitemporal history <table> --key <json> ...`, its values checked as far as possible without the database. */
export interface HistoryCommand {
  readonly kind: 'history'
  /** As typed: `tax_rates` or `billing.tax_rates`. */
  readonly table: string
  /** The parsed `--key` object; its columns and types are checked against the table later. */
  readonly key: Readonly<Record<string, unknown>>
  /** `--valid-at`: a day or an ISO instant, as typed; which one the table takes is checked later. */
  readonly validAt: string | undefined
  /** `--known-at` as an ISO instant (a day becomes midnight UTC), or `undefined` for current knowledge. */
  readonly knownAt: string | undefined
  /** `--svg`, as given, relative to the working directory. */
  readonly svg: string | undefined
  readonly url: string | undefined
}

const DAY = /^\d{4}-\d{2}-\d{2}$/

/** The raw option values of a history command line. */
export interface HistoryOptionValues {
  readonly key: string | undefined
  readonly validAt: string | undefined
  readonly knownAt: string | undefined
  readonly svg: string | undefined
  readonly url: string | undefined
}

/**
 * Checks the values of `bitemporal history` that need no database: `--key`
 * is a JSON object, the dates are dates. Pure.
 *
 * @throws {UsageError} naming the option and what to write instead.
 */
export function parseHistoryOptions(table: string, values: HistoryOptionValues): HistoryCommand {
  if (values.key === undefined) throw new UsageError(`missing --key: give the key as JSON, e.g. --key ${KEY_EXAMPLE}`, HISTORY_USAGE)
  if (values.svg === '') throw new UsageError('--svg must not be empty', HISTORY_USAGE)
  return Object.freeze({
    kind: 'history',
    table,
    key: parseKeyOption(values.key, HISTORY_USAGE),
    validAt: values.validAt === undefined ? undefined : parseValidAt(values.validAt),
    knownAt: values.knownAt === undefined ? undefined : parseKnownAt(values.knownAt),
    svg: values.svg,
    url: values.url,
  })
}

function parseValidAt(text: string): string {
  // A day or an instant: which of the two the table's valid time takes is known only once it is read.
  if (DAY.test(text)) return checked(() => toDay(text, '--valid-at'))
  return checked(() => toInstant(text, '--valid-at'), `--valid-at must be a day YYYY-MM-DD that exists (or an ISO time with Z on a table with timestamp valid time), got ${JSON.stringify(text.slice(0, 40))}`)
}

function parseKnownAt(text: string): string {
  // A day alone means its start in UTC: "as known on the morning of" would depend on a time zone.
  if (DAY.test(text)) return `${checked(() => toDay(text, '--known-at'))}T00:00:00Z`
  return checked(() => toInstant(text, '--known-at'))
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
  throw new UsageError(message, HISTORY_USAGE)
}
