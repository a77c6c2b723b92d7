import type { AnyKysely } from '../any-kysely.js'
import { InvalidInputError } from '../errors/errors.js'
import type { TableSqlContext } from '../statement/table-sql-context.js'
import { type QualifiedName, quoteIdentifier, quoteQualifiedName, validateIdentifier } from '../schema/identifier.js'
import { checkConvertOptions } from './check-convert-options.js'
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

/** A resumed conversion's plain table: where it is now (perhaps renamed), and the name it had when the conversion began. */
export interface ResumedSource {
  readonly now: QualifiedName
  readonly before: { readonly schema: string; readonly name: string }
}

/**
 * Checks the options, then the catalog: the plain table and every column
 * it must have, types that can be assigned, free names for the new table
 * and the renamed one, nothing that a rename would leave pointing at the
 * old table. Reads only; every problem is an {@link InvalidInputError}
 * before anything changes.
 *
 * With `resumed`, plans the rest of a conversion begun earlier: the plain
 * table is read where it is now but keeps its old name in the plan (the
 * view's), and the names are not checked again (the rename and the new
 * table are done).
 */
export async function planConversion(db: AnyKysely, options: ConvertOptions, resumed?: ResumedSource): Promise<ConvertPlan> {
  const { from, context, audit, batchSize, emptyValidity, view, columns, startColumn, fixedStart, startDefault, endColumn } = checkConvertOptions(options)

  // The catalog, read only.
  const found = await readSourceTable(db, resumed?.now ?? from)
  const source: SourceTable = resumed === undefined
    ? found
    : Object.freeze({ ...found, schema: resumed.before.schema, name: resumed.before.name, quoted: quoteQualifiedName(resumed.before) })
  const byName = new Map(source.columns.map((c) => [c.name, c]))
  const column = (name: string, what: string): SourceColumn => {
    const found = byName.get(name)
    if (found === undefined) {
      throw new InvalidInputError(`convert: ${what} "${name}" is not a column of ${source.quoted} (it has ${source.columns.map((c) => c.name).join(', ')})`)
    }
    return found
  }
  const timeColumn = (name: string, what: string): SourceColumn => {
    const found = column(name, what)
    if (TIME_TYPES[found.typeOid] === undefined) {
      throw new InvalidInputError(`convert: ${what} "${name}" is ${found.type}; it must be date, timestamp or timestamp with time zone`)
    }
    return found
  }
  const copies = [...options.to.keyColumns, ...options.to.valueColumns].map((c) => ({
    target: c.name,
    source: column(columns[c.name] ?? c.name, `the column for "${c.name}"`),
    targetType: c.type,
  }))
  const problems = await incompatibleTypes(db, copies.map((c) => ({ column: c.target, sourceOid: c.source.typeOid, targetType: c.targetType })))
  if (problems.length > 0) {
    throw new InvalidInputError(`convert: column types do not fit: ${problems.map((p) => `"${p.column}": ${p.problem}`).join('; ')}`)
  }
  const start: EffectiveStart = startColumn === undefined
    ? { kind: 'fixed', value: fixedStart ?? '' }
    : { kind: 'column', column: timeColumn(startColumn, 'effectiveFrom column'), default: startDefault }
  const end = endColumn === undefined ? undefined : timeColumn(endColumn, 'effectiveTo column')

  // Names: the new table must not exist, unless it is the plain table, which then moves aside.
  const targetOid = resumed === undefined ? await relationOid(db, context.table) : undefined
  const sameName = targetOid === source.oid
  if (targetOid !== undefined && !sameName) throw new InvalidInputError(`convert: ${context.table} exists already; the conversion creates it`)
  if (sameName && view) throw new InvalidInputError(`convert: the view takes the name ${source.quoted}, so the bitemporal table needs another name (e.g. "${source.name}_versions")`)
  let renameTo: string | undefined
  if (resumed === undefined && (sameName || view)) {
    renameTo = validateIdentifier(options.renameSourceTo ?? `${source.name}_plain`, 'convert: renameSourceTo')
    const renamed = quoteQualifiedName({ schema: source.schema, name: renameTo })
    if ((await relationOid(db, renamed)) !== undefined) throw new InvalidInputError(`convert: ${renamed} exists already; pass renameSourceTo with a free name`)
    const dependents = [...source.dependentViews.map((v) => `view ${v}`), ...source.referencingForeignKeys.map((f) => `foreign key ${f}`)]
    if (dependents.length > 0) {
      throw new InvalidInputError(
        `convert: ${source.quoted} is renamed to ${quoteIdentifier(renameTo)}, and these would follow it instead of the new table: ${dependents.join(', ')}. ` +
          'Drop them first in the same migration and re-create them on the view or the entity table.',
      )
    }
  } else if (resumed === undefined && options.renameSourceTo !== undefined) {
    throw new InvalidInputError('convert: renameSourceTo applies only with view: true or when the new table takes the plain table\'s name')
  }
  if (view) {
    const shown = new Set([...copies.map((c) => c.source.name), start.kind === 'column' ? start.column.name : '', end?.name ?? ''])
    const missing = source.columns.filter((c) => !shown.has(c.name)).map((c) => c.name)
    if (missing.length > 0) {
      throw new InvalidInputError(
        `convert: the view must show every column of ${source.quoted}, but ${missing.map((m) => `"${m}"`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} ` +
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
