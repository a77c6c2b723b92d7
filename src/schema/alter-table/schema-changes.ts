import { AUDIT_COLUMNS, type ColumnDefinition, type TableDefinition } from '../define-table.js'
import type { DefaultReading } from './alter-table-options.js'
import type { TableState } from './read-table-state.js'
import { isLosslessWidening } from './type-widening.js'

/** What a refused change is; the first of them is `SchemaChangeRefusedError.change`. */
export type RefusedChange =
  | 'no-table'
  | 'drop'
  | 'narrow'
  | 'type'
  | 'key'
  | 'valid-time'
  | 'time-column'
  | 'not-null'
  | 'not-null-without-default'
  | 'default-needs-reading'
  | 'current-versions-default'
  | 'turn-on-audit'
  | 'turn-off-audit'
  | 'turn-on-entity'
  | 'turn-off-entity'
  | 'turn-on-references'
  | 'turn-off-references'
  | 'options'

/** One difference between a table and its next definition, as data: what `alterTable` will do, or refuses to. */
export type SchemaChange =
  | { readonly kind: 'rename'; readonly column: string; readonly to: string }
  | { readonly kind: 'widen'; readonly column: string; readonly from: string; readonly to: string }
  | { readonly kind: 'add'; readonly column: string; readonly definition: ColumnDefinition; readonly reading: DefaultReading | undefined }
  | { readonly kind: 'drop'; readonly column: string }
  | { readonly kind: 'turn-on-audit' }
  | { readonly kind: 'turn-on-entity' }
  | { readonly kind: 'turn-on-references'; readonly added: TableDefinition['references'] }
  | { readonly kind: 'refuse'; readonly change: RefusedChange; readonly column: string | undefined; readonly reason: string }

const NEW_TABLE = 'create the table as it should be and copy the history into it with convertToBitemporal (docs/schema.md)'

/**
 * Compares the table as it is (`state`) with `definition` and describes
 * each difference ({@link SchemaChange}): renames named in `rename`, lossless
 * widenings, added value columns, and refusals, each with its way out.
 * Pure: nothing is sent.
 *
 * @example
 * ```ts
 * describeSchemaChanges(state, next, { rename: new Map([['price', 'amount']]), defaults: new Map() })
 * // [{ kind: 'rename', column: 'price', to: 'amount' }, { kind: 'add', column: 'currency', … }]
 * ```
 */
export function describeSchemaChanges(
  state: TableState,
  definition: TableDefinition,
  options: ChangeOptions,
): SchemaChange[] {
  if (state.columns.length === 0) return [refuse('no-table', undefined, `there is no table ${definition.name}; createTable makes it`)]
  return [...tableChanges(state, definition, options.rename), ...valueChanges(state, definition, options)]
}

function refuse(change: RefusedChange, column: string | undefined, reason: string): SchemaChange {
  return { kind: 'refuse', change, column, reason }
}

/** Refusals about the table as a whole: time columns, granularity, key, audit, entity, references. */
function tableChanges(state: TableState, definition: TableDefinition, rename: ReadonlyMap<string, string>): SchemaChange[] {
  const changes: SchemaChange[] = []
  const has = (name: string): boolean => state.columns.some((column) => column.name === name)
  for (const [role, name] of [['effective', definition.effectiveColumn], ['system', definition.systemColumn]] as const) {
    if (!has(name) || rename.has(name)) changes.push(refuse('time-column', name, `the ${role} column cannot be renamed or replaced: its name is in the table's constraints and every query; ${NEW_TABLE}`))
  }
  const effective = state.columns.find((column) => column.name === definition.effectiveColumn)
  const wanted = definition.validTime === 'date' ? 'daterange' : 'tstzrange'
  if (effective !== undefined && effective.type !== wanted) {
    changes.push(refuse('valid-time', definition.effectiveColumn, `valid time is ${effective.type === 'daterange' ? "'date'" : "'timestamp'"} in the table and '${definition.validTime}' in the definition: every recorded version would change meaning; ${NEW_TABLE}`))
  }
  const key = definition.keyColumns.map((column) => column.name)
  if (key.join(',') !== state.keyColumns.join(',')) {
    changes.push(refuse('key', undefined, `the key is (${state.keyColumns.join(', ')}) in the table and (${key.join(', ')}) in the definition: versions are identified by their key; ${NEW_TABLE}`))
  } else {
    for (const column of definition.keyColumns) {
      const current = state.columns.find((existing) => existing.name === column.name)
      const next = state.definitionTypes.get(column.name)
      if (current !== undefined && current.type !== next) changes.push(refuse('key', column.name, `key column "${column.name}" is ${current.type} in the table and ${next ?? column.type} in the definition: key columns keep their type; ${NEW_TABLE}`))
      if (rename.has(column.name)) changes.push(refuse('key', column.name, `key column "${column.name}" cannot be renamed; ${NEW_TABLE}`))
    }
  }
  for (const [feature, current, next] of [['audit', state.audit, definition.audit], ['entity', state.entity, definition.entity]] as const) {
    if (current === next) continue
    changes.push(
      next
        ? { kind: `turn-on-${feature}` }
        : refuse(`turn-off-${feature}`, undefined, `turning off ${feature} would discard what it recorded; keep ${feature}: true in the definition`),
    )
  }
  if (definition.references.length > state.references) {
    // The table's references keep their places (their objects are named by position); the new ones come after.
    changes.push({ kind: 'turn-on-references', added: definition.references.slice(state.references) })
  } else if (definition.references.length < state.references) {
    changes.push(refuse('turn-off-references', undefined, `removing references is refused (the table has ${String(state.references)}, the definition ${String(definition.references.length)}); keep them in the definition`))
  }
  return changes
}

/** The table's value columns: all but the key, the audit columns and the two time columns. */
function tableValueColumns(state: TableState, definition: TableDefinition): TableState['columns'] {
  const other = new Set<string>([...state.keyColumns, definition.effectiveColumn, definition.systemColumn, ...(state.audit ? Object.values(AUDIT_COLUMNS) : [])])
  return state.columns.filter((column) => !other.has(column.name))
}

/** What the description takes from the options. */
interface ChangeOptions {
  readonly rename: ReadonlyMap<string, string>
  readonly defaults: ReadonlyMap<string, DefaultReading>
  readonly drop?: ReadonlySet<string>
}

/** Renames, widenings, additions and drops of value columns. */
function valueChanges(state: TableState, definition: TableDefinition, options: ChangeOptions): SchemaChange[] {
  const changes: SchemaChange[] = []
  const values = tableValueColumns(state, definition)
  const wanted = new Map(definition.valueColumns.map((column) => [column.name, column]))
  const renamedTo = new Map<string, string>()
  for (const [from, to] of options.rename) {
    if (state.keyColumns.includes(from) || from === definition.effectiveColumn || from === definition.systemColumn) continue // refused with the table's changes
    if (!values.some((column) => column.name === from)) changes.push(refuse('options', from, `rename names "${from}", which is not a value column of the table`))
    else if (!wanted.has(to)) changes.push(refuse('options', from, `rename gives "${from}" the name "${to}", which is not a value column of the definition`))
    else if (state.columns.some((column) => column.name === to)) changes.push(refuse('options', from, `rename gives "${from}" the name "${to}", which the table already has`))
    else {
      renamedTo.set(from, to)
      changes.push({ kind: 'rename', column: from, to })
    }
  }
  const current = new Map(values.map((column) => [renamedTo.get(column.name) ?? column.name, column]))
  const drop = options.drop ?? new Set<string>()
  for (const [name] of current) {
    if (wanted.has(name)) continue
    if (drop.has(name) && !renamedTo.has(name)) changes.push({ kind: 'drop', column: name })
    else {
      changes.push(refuse('drop', name, `value column "${name}" is in the table but not in the definition: dropping it would erase what history recorded in it. If it was renamed, say so with { rename: { ${name}: '<new name>' } }; to drop it knowingly, name it: { drop: ['${name}'], actor, reason } (recorded in bitemporal.dropped_column)`))
    }
  }
  for (const name of drop) {
    if (!values.some((column) => column.name === name) || wanted.has(name)) changes.push(refuse('options', name, `drop names "${name}", which is not a value column of the table that the definition leaves out`))
  }
  for (const column of definition.valueColumns) {
    const existing = current.get(column.name)
    if (existing === undefined) changes.push(addition(state, column, options.defaults.get(column.name)))
    else changes.push(...columnChanges(existing, column, state.definitionTypes.get(column.name) ?? column.type))
  }
  for (const [name] of options.defaults) {
    if (current.has(name) || !wanted.has(name)) changes.push(refuse('options', name, `defaults names "${name}", which is not a column this change adds`))
  }
  return changes
}

function addition(state: TableState, column: ColumnDefinition, reading: DefaultReading | undefined): SchemaChange {
  const name = column.name
  if (!state.hasRows) return { kind: 'add', column: name, definition: column, reading }
  if (column.default === undefined) {
    return column.notNull === true
      ? refuse('not-null-without-default', name, `"${name}" is not null without a default, and the versions already recorded have no value for it: add it nullable, or with a default and { defaults: { ${name}: 'every-version' } }`)
      : { kind: 'add', column: name, definition: column, reading }
  }
  if (reading === undefined) {
    return refuse('default-needs-reading', name, `"${name}" has a default and the table holds versions: say what they read with { defaults: { ${name}: 'every-version' } } (the default, in every version ever recorded), or add it without a default (null before the change)`)
  }
  if (reading === 'current-versions' && column.notNull === true) {
    return refuse('current-versions-default', name, `"${name}" is not null, but with { defaults: { ${name}: 'current-versions' } } the versions recorded before the change read null in it: define it without "not null"`)
  }
  return { kind: 'add', column: name, definition: column, reading }
}

/** A value column in both: widened, refused, or unchanged. */
function columnChanges(existing: TableState['columns'][number], column: ColumnDefinition, nextType: string): SchemaChange[] {
  const changes: SchemaChange[] = []
  if (existing.type !== nextType) {
    if (isLosslessWidening(existing.type, nextType)) changes.push({ kind: 'widen', column: column.name, from: existing.type, to: nextType })
    else {
      const narrowing = isLosslessWidening(nextType, existing.type)
      changes.push(
        refuse(
          narrowing ? 'narrow' : 'type',
          column.name,
          `"${column.name}" is ${existing.type} in the table and ${nextType} in the definition: ${narrowing ? 'a narrowing' : 'a change of type'} could alter or reject values history recorded; add a new column (and write it with the repository), or create a new table and copy the history with convertToBitemporal`,
        ),
      )
    }
  }
  if ((column.notNull === true) !== existing.notNull) {
    changes.push(refuse('not-null', column.name, `"${column.name}" is ${existing.notNull ? 'not null' : 'nullable'} in the table and ${column.notNull === true ? 'not null' : 'nullable'} in the definition: alterTable does not change a column's nullability in this version; keep the definition as the table is`))
  }
  return changes
}
