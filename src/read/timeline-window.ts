import { InvalidInputError } from '../errors/errors.js'
import type { TableSqlContext } from '../statement/table-sql-context.js'
import { decodeVersion, type Version } from '../codec/decode-version.js'
import type { TableDefinition } from '../schema/define-table.js'
import { encodeWindow } from './read-input.js'
import { readOptions } from '../options/read-options.js'

/** How a sequenced `timeline` call reads: which statement, and the window's parameters. */
export interface EncodedTimelineWindow {
  readonly coalesce: boolean
  /** `[from, to]`, `null` for an unbounded end. */
  readonly window: readonly [string | null, string | null]
}

const OPTIONS = ['knownAt', 'from', 'to', 'coalesce'] as const

/**
 * Checks the options of `timeline` and says whether the call is sequenced
 * (a window or `coalesce: true`); `null` when it is the plain timeline of
 * docs/semantics.md §4, which keeps its own statements and index paths.
 *
 * @throws {InvalidInputError} for an unknown option, a bad `from` or `to`,
 *   an empty or reversed window, or a `coalesce` that is not a boolean.
 */
export function encodeTimelineWindow(context: TableSqlContext, options: unknown): EncodedTimelineWindow | null {
  const checked = readOptions(options, 'timeline', OPTIONS)
  const coalesce = checked['coalesce'] === undefined ? false : checked['coalesce']
  if (typeof coalesce !== 'boolean') {
    throw new InvalidInputError(`timeline: coalesce must be true or false`)
  }
  const window = encodeWindow(context, checked['from'], checked['to'], 'timeline')
  if (!coalesce && window[0] === null && window[1] === null) return null
  return Object.freeze({ coalesce, window })
}

/**
 * A version of a sequenced timeline. A coalesced version is the union of
 * several rows that may have different authors, so it carries no `audit`
 * even on an audited table.
 */
export function decodeTimelineVersion<D extends TableDefinition>(
  context: TableSqlContext,
  row: Readonly<Record<string, string | null>>,
  coalesce: boolean,
): Version<D> {
  return decodeVersion<D>(coalesce && context.audit ? { ...context, audit: false } : context, row)
}
