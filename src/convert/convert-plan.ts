import type { AnyKysely } from '../any-kysely.js'
import { InvalidInputError } from '../errors/errors.js'
import { encodeAudit } from '../repository/write-input.js'
import { tableSqlContext, type TableSqlContext } from '../repository/table-sql-context.js'
import { parseQualifiedName, quoteIdentifier, quoteQualifiedName, validateIdentifier } from '../schema/identifier.js'
import { toDay, toInstant } from '../time/date-input.js'
import { isPlainObject } from '../values/is-plain-object.js'
import type { ConvertOptions } from './convert-options.js'
import { incompatibleTypes, readSourceTable, relationOid, type SourceColumn, type SourceTable } from './source-table.js'

/** The types a column of valid time may have in the plain table, by oid. */
export const TIME_TYPES: Readonly<Record<number, 'date' | 'timestamp' | 'timestamptz'>> = Object.freeze({
  1082: 'date',
  1114: 'timestamp',
  1184: 'timestamptz',
})

/** Where validity starts: a column (with an optional default for its nulls) or one fixed point. */
export type EffectiveStart =
  | { readonly kind: 'column'; readonly column: SourceColumn; readonly default: string | undefined }
  | { readonly kind: 'fixed'; readonly value: string }

/** A conversion checked against the catalog, ready to be turned into SQL. */
export interface ConvertPlan {
  readonly context: TableSqlContext
  readonly source: SourceTable
  /** Target column → plain table column, for every key and value column. */
  readonly copies: readonly { readonly target: string; readonly source: SourceColumn }[]
  readonly start: EffectiveStart
  readonly end: SourceColumn | undefined
  /** The plain table's new (bare) name, when it must make room; `undefined` when it keeps its name. */
  readonly renameTo: string | undefined
  readonly view: boolean
  readonly skipEmpty: boolean
  readonly batchSize: number
  /** `[actor, reason]` on audited tables, else empty. */
  readonly audit: readonly unknown[]
}

const OPTION_NAMES = new Set([
  'from', 'to', 'effectiveFrom', 'effectiveFromDefault', 'effectiveTo', 'columns', 'view', 'renameSourceTo',
  'emptyValidity', 'batchSize', 'onProgress', 'actor', 'reason',
])

/** A fixed point of valid time: a day, or (for timestamp tables) an instant with an offset or a day at UTC midnight. */
function fixedPoint(input: unknown, dated: boolean, what: string): string {
  if (dated) return toDay(input, what)
  if (typeof input === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(input)) return `${toDay(input, what)}T00:00:00Z`
  return toInstant(input, what)
}

/**
 * Checks the options, then the catalog: the plain table and every column
 * it must have, types that can be assigned, free names for the new table
 * and the renamed one, nothing that a rename would leave pointing at the
 * old table. Reads only; every problem is an {@link InvalidInputError}
 * before anything changes.
 */
export async function planConversion(db: AnyKysely, options: ConvertOptions): Promise<ConvertPlan> {
  const untrusted: unknown = options
  if (!isPlainObject(untrusted)) throw new InvalidInputError('bitemporal: convertToBitemporal takes an object { from, to, effectiveFrom, … }')
  const unknown = Object.keys(untrusted).filter((name) => !OPTION_NAMES.has(name))
  if (unknown.length > 0) throw new InvalidInputError(`bitemporal: convert: unknown option ${unknown.map((n) => `"${n}"`).join(', ')}`)
  const from = parseQualifiedName(options.from, 'convert: from')
  const target = options.to as unknown
  if (!isPlainObject(target) || !('keyColumns' in target) || !Object.isFrozen(target)) {
    throw new InvalidInputError('bitemporal: convert: to must be a table definition made by defineTable')
  }
  const context = tableSqlContext(options.to)
  const dated = options.to.validTime === 'date'
  const audit = encodeAudit(context, options)
  const batchSize = options.batchSize ?? 50_000
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new InvalidInputError(`bitemporal: convert: batchSize must be a whole number ≥ 1, got ${String(batchSize)}`)
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new InvalidInputError('bitemporal: convert: onProgress must be a function')
  const emptyValidity: unknown = options.emptyValidity ?? 'error'
  if (emptyValidity !== 'error' && emptyValidity !== 'skip') throw new InvalidInputError(`bitemporal: convert: emptyValidity must be 'error' or 'skip'`)
  const view: unknown = options.view ?? false
  if (typeof view !== 'boolean') throw new InvalidInputError('bitemporal: convert: view must be true or false')
  const columns: unknown = options.columns ?? {}
  if (!isPlainObject(columns)) throw new InvalidInputError('bitemporal: convert: columns must be an object of target column → plain table column')
  const targetNames = new Set([...options.to.keyColumns, ...options.to.valueColumns].map((c) => c.name))
  for (const [targetColumn, sourceColumn] of Object.entries(columns)) {
    if (!targetNames.has(targetColumn)) throw new InvalidInputError(`bitemporal: convert: columns names "${targetColumn}", which is not a key or value column of "${options.to.name}"`)
    validateIdentifier(sourceColumn, `convert: source column for "${targetColumn}"`)
  }
  const startColumn = typeof options.effectiveFrom === 'string' && /^[A-Za-z_]/.test(options.effectiveFrom)
    ? validateIdentifier(options.effectiveFrom, 'convert: effectiveFrom column')
    : undefined
  const fixedStart = startColumn === undefined ? fixedPoint(options.effectiveFrom, dated, 'convert: effectiveFrom') : undefined
  const startDefault = options.effectiveFromDefault === undefined ? undefined : fixedPoint(options.effectiveFromDefault, dated, 'convert: effectiveFromDefault')
  if (startDefault !== undefined && startColumn === undefined) throw new InvalidInputError('bitemporal: convert: effectiveFromDefault only applies when effectiveFrom is a column')
  const endColumn = options.effectiveTo === undefined ? undefined : validateIdentifier(options.effectiveTo, 'convert: effectiveTo column')

  // The catalog, read only.
  const source = await readSourceTable(db, from)
  const byName = new Map(source.columns.map((c) => [c.name, c]))
  const column = (name: string, what: string): SourceColumn => {
    const found = byName.get(name)
    if (found === undefined) {
      throw new InvalidInputError(`bitemporal: convert: ${what} "${name}" is not a column of ${source.quoted} (it has ${source.columns.map((c) => c.name).join(', ')})`)
    }
    return found
  }
  const timeColumn = (name: string, what: string): SourceColumn => {
    const found = column(name, what)
    if (TIME_TYPES[found.typeOid] === undefined) {
      throw new InvalidInputError(`bitemporal: convert: ${what} "${name}" is ${found.type}; it must be date, timestamp or timestamp with time zone`)
    }
    return found
  }
  const copies = [...options.to.keyColumns, ...options.to.valueColumns].map((c) => ({
    target: c.name,
    source: column((columns as Record<string, string>)[c.name] ?? c.name, `the column for "${c.name}"`),
    targetType: c.type,
  }))
  const problems = await incompatibleTypes(db, copies.map((c) => ({ column: c.target, sourceOid: c.source.typeOid, targetType: c.targetType })))
  if (problems.length > 0) {
    throw new InvalidInputError(`bitemporal: convert: column types do not fit: ${problems.map((p) => `"${p.column}": ${p.problem}`).join('; ')}`)
  }
  const start: EffectiveStart = startColumn === undefined
    ? { kind: 'fixed', value: fixedStart ?? '' }
    : { kind: 'column', column: timeColumn(startColumn, 'effectiveFrom column'), default: startDefault }
  const end = endColumn === undefined ? undefined : timeColumn(endColumn, 'effectiveTo column')

  // Names: the new table must not exist, unless it is the plain table, which then moves aside.
  const targetOid = await relationOid(db, context.table)
  const sameName = targetOid === source.oid
  if (targetOid !== undefined && !sameName) throw new InvalidInputError(`bitemporal: convert: ${context.table} exists already; the conversion creates it`)
  if (sameName && view) throw new InvalidInputError(`bitemporal: convert: the view takes the name ${source.quoted}, so the bitemporal table needs another name (e.g. "${source.name}_versions")`)
  let renameTo: string | undefined
  if (sameName || view) {
    renameTo = validateIdentifier(options.renameSourceTo ?? `${source.name}_plain`, 'convert: renameSourceTo')
    const renamed = quoteQualifiedName({ schema: source.schema, name: renameTo })
    if ((await relationOid(db, renamed)) !== undefined) throw new InvalidInputError(`bitemporal: convert: ${renamed} exists already; pass renameSourceTo with a free name`)
    const dependents = [...source.dependentViews.map((v) => `view ${v}`), ...source.referencingForeignKeys.map((f) => `foreign key ${f}`)]
    if (dependents.length > 0) {
      throw new InvalidInputError(
        `bitemporal: convert: ${source.quoted} is renamed to ${quoteIdentifier(renameTo)}, and these would follow it instead of the new table: ${dependents.join(', ')}. ` +
          'Drop them first in the same migration and re-create them on the view or the entity table.',
      )
    }
  } else if (options.renameSourceTo !== undefined) {
    throw new InvalidInputError('bitemporal: convert: renameSourceTo applies only with view: true or when the new table takes the plain table\'s name')
  }
  if (view) {
    const shown = new Set([...copies.map((c) => c.source.name), start.kind === 'column' ? start.column.name : '', end?.name ?? ''])
    const missing = source.columns.filter((c) => !shown.has(c.name)).map((c) => c.name)
    if (missing.length > 0) {
      throw new InvalidInputError(
        `bitemporal: convert: the view must show every column of ${source.quoted}, but ${missing.map((m) => `"${m}"`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} ` +
          'neither a key or value column of the new table nor effectiveFrom or effectiveTo; add them to its values or convert without a view',
      )
    }
  }
  return Object.freeze({
    context,
    source,
    copies: Object.freeze(copies.map((c) => Object.freeze({ target: c.target, source: c.source }))),
    start,
    end,
    renameTo,
    view,
    skipEmpty: emptyValidity === 'skip',
    batchSize,
    audit,
  })
}
