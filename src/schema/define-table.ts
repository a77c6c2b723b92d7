import { describeValue } from '../errors/describe-value.js'
import { InvalidInputError } from '../errors/errors.js'
import { isPlainObject } from '../values/is-plain-object.js'
import { type ColumnType, parseColumnType } from './column-type.js'
import { parseQualifiedName, type QualifiedName, validateIdentifier } from './identifier.js'
import type { SqlTypeToTs, SqlTypeToTsNotNull } from './sql-type.js'
import { parseReferences, type ReferenceDefinition, type ReferenceOptions } from './table-reference.js'

/** Column name to SQL type, e.g. `{ rate: 'numeric not null' }`. */
export type ColumnTypes = Readonly<Record<string, string>>

/** What {@link defineTable} takes. */
export interface TableOptions<K extends ColumnTypes, V extends ColumnTypes> {
  /** Table name, optionally schema-qualified: `'tax_rates'` or `'billing.tax_rates'`. */
  readonly name: string
  /** The entity key: column name to SQL type. At least one column; always `not null`. */
  readonly key: K
  /** The attribute columns that change over time: column name to SQL type. */
  readonly values: V
  /** Name of the valid-time `daterange` column. Default: `'effective'`. */
  readonly effectiveColumn?: string
  /** Name of the transaction-time `tsrange` column (UTC, set by the database). Default: `'system'`. */
  readonly systemColumn?: string
  /**
   * Granularity of valid time: `'date'` makes `effective` a `daterange` of
   * calendar days; `'timestamp'` makes it a `tstzrange` of instants.
   * Default: `'date'`.
   */
  readonly effective?: ValidTime
  /**
   * Record who made each change and why: adds `recorded_by` and
   * `recorded_reason` (set on the rows a write inserts) and `closed_by` and
   * `closed_reason` (set on the rows it closes). Writes must then pass
   * `{ actor }` (and may pass `{ reason }`). Default: `false`.
   */
  readonly audit?: boolean
  /**
   * Also create an entity table `<name>_entity` with one row per key ever
   * written (and a surrogate `id bigint` when the key is composite), which
   * the versions reference and plain tables can reference with an ordinary
   * foreign key. The repository creates the row on the key's first write.
   * Default: `false`. See docs/references.md.
   */
  readonly entity?: boolean
  /**
   * Temporal references to parent tables: in current knowledge, every
   * version of this table lies inside the parent's validity. Enforced by the
   * database at commit (constraint triggers). Default: none. See
   * docs/references.md.
   */
  readonly references?: readonly ReferenceOptions[]
}

const TABLE_OPTIONS: ReadonlySet<string> = new Set(['name', 'key', 'values', 'effectiveColumn', 'systemColumn', 'effective', 'audit', 'entity', 'references'])

/** The granularity of valid time. */
export type ValidTime = 'date' | 'timestamp'

/** The audit columns a table with `audit: true` has. */
export const AUDIT_COLUMNS = Object.freeze({
  recordedBy: 'recorded_by',
  recordedReason: 'recorded_reason',
  closedBy: 'closed_by',
  closedReason: 'closed_reason',
} as const)

/** The surrogate id column of an entity table whose key is composite. */
export const ENTITY_ID_COLUMN = 'id'

/** One column of a definition, parsed. */
export interface ColumnDefinition extends ColumnType {
  readonly name: string
}

/**
 * A validated, frozen description of one bitemporal table. The type
 * parameters keep the column names and SQL types, so that reads and writes
 * can be typed from them ({@link KeyOf}, {@link ValuesOf}).
 */
export interface TableDefinition<K extends ColumnTypes = ColumnTypes, V extends ColumnTypes = ColumnTypes> {
  /** The name as given, e.g. `'billing.tax_rates'`. */
  readonly name: string
  /** Schema and table, validated. `schema` is `undefined` when the name was not qualified. */
  readonly table: QualifiedName
  readonly key: K
  readonly values: V
  readonly keyColumns: readonly ColumnDefinition[]
  readonly valueColumns: readonly ColumnDefinition[]
  readonly effectiveColumn: string
  readonly systemColumn: string
  readonly validTime: ValidTime
  readonly audit: boolean
  /** Whether the table has an entity table (`entity: true`). */
  readonly entity: boolean
  /** The temporal references to parent tables, validated. */
  readonly references: readonly ReferenceDefinition[]
}

/** The key of one entity of a table, typed from its definition. */
export type KeyOf<D extends TableDefinition> = { -readonly [C in keyof D['key'] & string]: SqlTypeToTsNotNull<D['key'][C]> }

/** The values of one version of a table, typed from its definition. */
export type ValuesOf<D extends TableDefinition> = { -readonly [C in keyof D['values'] & string]: SqlTypeToTs<D['values'][C]> }

/**
 * Describes one bitemporal table. Nothing is sent to the database; the
 * definition is validated (names, types) and frozen.
 *
 * @example
 * ```ts
 * export const taxRates = defineTable({
 *   name: 'billing.tax_rates',
 *   key: { state_id: 'integer', tax_type: 'text' },
 *   values: { rate: 'numeric not null' },
 * })
 * // KeyOf<typeof taxRates>    is { state_id: number; tax_type: string }
 * // ValuesOf<typeof taxRates> is { rate: string }  (numeric is lossless text)
 * ```
 */
export function defineTable<const K extends ColumnTypes, const V extends ColumnTypes>(
  options: TableOptions<K, V>,
): TableDefinition<K, V> {
  // Callers from plain JavaScript get a typed error too, not a TypeError.
  const untrusted: unknown = options
  if (typeof untrusted !== 'object' || untrusted === null) {
    throw new InvalidInputError('defineTable takes an object { name, key, values }')
  }
  // A misspelt option (`audits`, `effectiveColum`) would otherwise be dropped and the table made without it.
  const unknown = Object.keys(untrusted).filter((option) => !TABLE_OPTIONS.has(option))
  if (unknown.length > 0) {
    throw new InvalidInputError(
      `defineTable: unknown option ${unknown.map((n) => JSON.stringify(n.slice(0, 60))).join(', ')}; the options are ${[...TABLE_OPTIONS].join(', ')}`,
    )
  }
  const table = parseQualifiedName(options.name, 'table name')
  const effectiveColumn = validateIdentifier(options.effectiveColumn ?? 'effective', 'effectiveColumn')
  const systemColumn = validateIdentifier(options.systemColumn ?? 'system', 'systemColumn')
  const keyColumns = parseColumns(options.key, 'key', table.name)
  const valueColumns = parseColumns(options.values, 'values', table.name)
  if (keyColumns.length === 0) {
    throw new InvalidInputError(`table "${table.name}" needs at least one key column, e.g. key: { id: 'integer' }`)
  }
  for (const column of keyColumns) {
    if (column.notNull === false || column.default !== undefined) {
      throw new InvalidInputError(
        `key column "${column.name}" of "${table.name}" must be a plain type (it is always not null and every write names it): remove "null" or "default"`,
      )
    }
  }
  const validTime: unknown = options.effective ?? 'date'
  if (validTime !== 'date' && validTime !== 'timestamp') {
    throw new InvalidInputError(`effective of "${table.name}" must be 'date' or 'timestamp', got ${describeValue(validTime)}`)
  }
  const audit: unknown = options.audit ?? false
  if (typeof audit !== 'boolean') {
    throw new InvalidInputError(`audit of "${table.name}" must be true or false`)
  }
  const entity: unknown = options.entity ?? false
  if (typeof entity !== 'boolean') {
    throw new InvalidInputError(`entity of "${table.name}" must be true or false`)
  }
  if (entity && keyColumns.length > 1 && keyColumns.some((c) => c.name.toLowerCase() === ENTITY_ID_COLUMN)) {
    throw new InvalidInputError(
      `"${table.name}" has a composite key with a column "${ENTITY_ID_COLUMN}", which its entity table needs for the surrogate id; rename that column`,
    )
  }
  const references = parseReferences(options.references, table.name, [...keyColumns, ...valueColumns], validTime)
  assertDistinctNames(table.name, [
    ...keyColumns.map((c) => c.name),
    ...valueColumns.map((c) => c.name),
    effectiveColumn,
    systemColumn,
    ...(audit ? Object.values(AUDIT_COLUMNS) : []),
  ])
  return Object.freeze({
    name: options.name,
    table,
    key: Object.freeze({ ...options.key }),
    values: Object.freeze({ ...options.values }),
    keyColumns: Object.freeze(keyColumns.map((c) => Object.freeze({ ...c, notNull: true }))),
    valueColumns: Object.freeze(valueColumns),
    effectiveColumn,
    systemColumn,
    validTime,
    audit,
    entity,
    references,
  })
}

function parseColumns(columns: unknown, what: 'key' | 'values', table: string): ColumnDefinition[] {
  if (!isPlainObject(columns)) {
    throw new InvalidInputError(`${what} of "${table}" must be a plain object of column name to SQL type`)
  }
  return Object.entries(columns).map(([name, type]) => {
    validateIdentifier(name, `${what} column name`)
    return Object.freeze({ name, ...parseColumnType(type, name) })
  })
}

function assertDistinctNames(table: string, names: readonly string[]): void {
  const seen = new Set<string>()
  for (const name of names) {
    // PostgreSQL would keep "Rate" and "rate" apart; people reading the table would not.
    const folded = name.toLowerCase()
    if (seen.has(folded)) {
      throw new InvalidInputError(`column "${name}" appears twice in table "${table}" (key, values, effective and system columns must all differ)`)
    }
    seen.add(folded)
  }
}
