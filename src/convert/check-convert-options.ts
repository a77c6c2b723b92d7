import { describeValue } from '../errors/describe-value.js'
import { InvalidInputError } from '../errors/errors.js'
import { encodeAudit } from '../codec/encode-audit.js'
import { tableSqlContext, type TableSqlContext } from '../statement/table-sql-context.js'
import { parseQualifiedName, type QualifiedName, validateIdentifier } from '../schema/identifier.js'
import { toDay, toInstant } from '../time/date-input.js'
import { isPlainObject } from '../values/is-plain-object.js'
import type { ConvertOptions } from './convert-options.js'

const OPTION_NAMES = new Set([
  'from', 'to', 'effectiveFrom', 'effectiveFromDefault', 'effectiveTo', 'columns', 'view', 'renameSourceTo',
  'emptyValidity', 'batchSize', 'onProgress', 'resumable', 'actor', 'reason',
])

/** A fixed point of valid time: a day, or (for timestamp tables) an instant with an offset or a day at UTC midnight. */
function fixedPoint(input: unknown, dated: boolean, what: string): string {
  if (dated) return toDay(input, what)
  if (typeof input === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(input)) return `${toDay(input, what)}T00:00:00Z`
  return toInstant(input, what)
}

/** The options, checked and normalised without the database. */
export interface CheckedConvertOptions {
  readonly from: QualifiedName
  readonly context: TableSqlContext
  readonly audit: readonly unknown[]
  readonly batchSize: number
  readonly emptyValidity: 'error' | 'skip'
  readonly view: boolean
  readonly resumable: boolean
  readonly columns: Readonly<Record<string, string>>
  /** The `effectiveFrom` column, or `undefined` for a fixed start. */
  readonly startColumn: string | undefined
  /** The fixed start (a day, or an instant for timestamp tables), normalised. */
  readonly fixedStart: string | undefined
  readonly startDefault: string | undefined
  readonly endColumn: string | undefined
}

/**
 * Checks the options alone (types, names, dates, unknown keys): every
 * problem is an {@link InvalidInputError}, and nothing is sent.
 */
export function checkConvertOptions(options: ConvertOptions): CheckedConvertOptions {
  const untrusted: unknown = options
  if (!isPlainObject(untrusted)) throw new InvalidInputError('convertToBitemporal takes an object { from, to, effectiveFrom, … }')
  const unknown = Object.keys(untrusted).filter((name) => !OPTION_NAMES.has(name))
  if (unknown.length > 0) throw new InvalidInputError(`convert: unknown option ${unknown.map((n) => `"${n}"`).join(', ')}`)
  const from = parseQualifiedName(options.from, 'convert: from')
  const target = options.to as unknown
  if (!isPlainObject(target) || !('keyColumns' in target) || !Object.isFrozen(target)) {
    throw new InvalidInputError('convert: to must be a table definition made by defineTable')
  }
  const context = tableSqlContext(options.to)
  const dated = options.to.validTime === 'date'
  const audit = encodeAudit(context, options)
  const batchSize = options.batchSize ?? 50_000
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new InvalidInputError(`convert: batchSize must be a whole number ≥ 1, got ${describeValue(batchSize)}`)
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new InvalidInputError('convert: onProgress must be a function')
  const emptyValidity: unknown = options.emptyValidity ?? 'error'
  if (emptyValidity !== 'error' && emptyValidity !== 'skip') throw new InvalidInputError(`convert: emptyValidity must be 'error' or 'skip'`)
  const view: unknown = options.view ?? false
  if (typeof view !== 'boolean') throw new InvalidInputError('convert: view must be true or false')
  const resumable: unknown = options.resumable ?? false
  if (typeof resumable !== 'boolean') throw new InvalidInputError('convert: resumable must be true or false')
  const columns: unknown = options.columns ?? {}
  if (!isPlainObject(columns)) throw new InvalidInputError('convert: columns must be an object of target column → plain table column')
  const targetNames = new Set([...options.to.keyColumns, ...options.to.valueColumns].map((c) => c.name))
  for (const [targetColumn, sourceColumn] of Object.entries(columns)) {
    if (!targetNames.has(targetColumn)) throw new InvalidInputError(`convert: columns names "${targetColumn}", which is not a key or value column of "${options.to.name}"`)
    validateIdentifier(sourceColumn, `convert: source column for "${targetColumn}"`)
  }
  const startColumn = typeof options.effectiveFrom === 'string' && /^[A-Za-z_]/.test(options.effectiveFrom)
    ? validateIdentifier(options.effectiveFrom, 'convert: effectiveFrom column')
    : undefined
  const fixedStart = startColumn === undefined ? fixedPoint(options.effectiveFrom, dated, 'convert: effectiveFrom') : undefined
  const startDefault = options.effectiveFromDefault === undefined ? undefined : fixedPoint(options.effectiveFromDefault, dated, 'convert: effectiveFromDefault')
  if (startDefault !== undefined && startColumn === undefined) throw new InvalidInputError('convert: effectiveFromDefault only applies when effectiveFrom is a column')
  const endColumn = options.effectiveTo === undefined ? undefined : validateIdentifier(options.effectiveTo, 'convert: effectiveTo column')
  return Object.freeze({
    from, context, audit, batchSize, emptyValidity, view, resumable, columns: columns as Record<string, string>, startColumn, fixedStart, startDefault, endColumn,
  })
}
