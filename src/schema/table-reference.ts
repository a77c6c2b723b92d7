import { describeValue } from '../errors/describe-value.js'
import { InvalidInputError } from '../errors/errors.js'
import { isPlainObject } from '../values/is-plain-object.js'
import { unknownKeys, unknownKeysText } from '../values/unknown-keys.js'
import type { ColumnDefinition, TableDefinition } from './define-table.js'
import { validateIdentifier } from './identifier.js'

/** What a child's versions do when their parent stops covering them. */
export type OnParentDelete = 'restrict' | 'cascade'

/**
 * One temporal reference, as {@link defineTable} takes it: in current
 * knowledge, every version of the child must lie inside the union of the
 * parent's current versions with the referenced key.
 *
 * @example
 * ```ts
 * const contracts = defineTable({
 *   name: 'contracts',
 *   key: { contract_id: 'integer' },
 *   values: { customer_id: 'integer not null', fee: 'numeric not null' },
 *   references: [{ table: customers, columns: { customer_id: 'customer_id' } }],
 * })
 * ```
 */
export interface ReferenceOptions {
  /** The parent: a bitemporal table definition (from `defineTable`). */
  readonly table: TableDefinition
  /** Child column to parent key column; every key column of the parent, once. */
  readonly columns: Readonly<Record<string, string>>
  /**
   * `'restrict'`: a parent write that would leave a child uncovered fails
   * (`ReferenceViolationError`). `'cascade'`: the child's validity ends
   * over the uncovered portion, in the same transaction, by closing its
   * versions and re-inserting what stays covered (as `delete` does).
   * Default: `'restrict'`.
   */
  readonly onParentDelete?: OnParentDelete
}

/** A reference, validated. */
export interface ReferenceDefinition {
  readonly table: TableDefinition
  /** The child's columns, in the order of the parent's key columns. */
  readonly childColumns: readonly string[]
  /** The parent's key columns, in definition order. */
  readonly parentColumns: readonly string[]
  readonly onParentDelete: OnParentDelete
}

/**
 * Validates `references` of the child table `child` (whose columns are
 * `columns`). The referenced columns must be the parent's whole key (a
 * reference names one entity), both tables must measure valid time alike
 * (coverage compares ranges of one type), and child columns may be key or
 * value columns; a child version whose referencing column is null
 * references nothing, as with `MATCH SIMPLE` foreign keys.
 */
export function parseReferences(
  references: unknown,
  child: string,
  columns: readonly ColumnDefinition[],
  validTime: TableDefinition['validTime'],
): readonly ReferenceDefinition[] {
  if (references === undefined) return Object.freeze([])
  if (!Array.isArray(references)) {
    throw new InvalidInputError(`references of "${child}" must be an array of { table, columns, onParentDelete? }`)
  }
  return Object.freeze(
    references.map((reference: unknown, index) => {
      const where = `references[${String(index)}] of "${child}"`
      if (!isPlainObject(reference)) throw new InvalidInputError(`${where} must be an object { table, columns, onParentDelete? }`)
      // A misspelt `onParentDelet: 'cascade'` would otherwise leave the
      // default 'restrict' in place without a word.
      const unknown = unknownKeys(reference, ['table', 'columns', 'onParentDelete'])
      if (unknown.length > 0) {
        throw new InvalidInputError(`${where}: ${unknownKeysText(unknown)}; a reference is { table, columns, onParentDelete? }`)
      }
      const parent: unknown = reference['table']
      if (!isDefinition(parent)) throw new InvalidInputError(`${where}: table must be a definition from defineTable`)
      const definition = parent
      if (definition.validTime !== validTime) {
        throw new InvalidInputError(
          `${where}: "${definition.name}" has effective: '${definition.validTime}' and "${child}" has '${validTime}'; a reference compares ranges of one type`,
        )
      }
      const mapping = reference['columns']
      if (!isPlainObject(mapping) || Object.keys(mapping).length === 0) {
        throw new InvalidInputError(`${where}: columns must map child columns to parent key columns, e.g. { customer_id: 'id' }`)
      }
      const byParent = new Map<string, string>()
      for (const [childColumn, parentColumn] of Object.entries(mapping)) {
        validateIdentifier(childColumn, `${where}: child column`)
        if (typeof parentColumn !== 'string' || !definition.keyColumns.some((c) => c.name === parentColumn)) {
          throw new InvalidInputError(`${where}: "${String(parentColumn)}" is not a key column of "${definition.name}"`)
        }
        if (!columns.some((c) => c.name === childColumn)) {
          throw new InvalidInputError(`${where}: "${childColumn}" is not a key or value column of "${child}"`)
        }
        if (byParent.has(parentColumn)) throw new InvalidInputError(`${where}: parent column "${parentColumn}" is named twice`)
        byParent.set(parentColumn, childColumn)
      }
      const missing = definition.keyColumns.filter((c) => !byParent.has(c.name)).map((c) => c.name)
      if (missing.length > 0) {
        throw new InvalidInputError(`${where}: a reference names a whole entity; map the parent key column(s) ${missing.join(', ')} too`)
      }
      const onParentDelete: unknown = reference['onParentDelete'] ?? 'restrict'
      if (onParentDelete !== 'restrict' && onParentDelete !== 'cascade') {
        throw new InvalidInputError(`${where}: onParentDelete must be 'restrict' or 'cascade', got ${describeValue(onParentDelete)}`)
      }
      const parentColumns = definition.keyColumns.map((c) => c.name)
      return Object.freeze({
        table: definition,
        childColumns: Object.freeze(parentColumns.map((name) => byParent.get(name) ?? name)),
        parentColumns: Object.freeze(parentColumns),
        onParentDelete,
      })
    }),
  )
}

function isDefinition(value: unknown): value is TableDefinition {
  const candidate = value as Partial<TableDefinition> | null
  return typeof value === 'object' && value !== null && Array.isArray(candidate?.keyColumns) && typeof candidate.effectiveColumn === 'string'
}
