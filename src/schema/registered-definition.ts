import { describeValue } from '../errors/describe-value.js'
import { InvalidInputError } from '../errors/errors.js'
import { isPlainObject } from '../values/is-plain-object.js'
import { unknownKeys, unknownKeysText } from '../values/unknown-keys.js'
import { defineTable, type TableDefinition, type TableOptions, type ValidTime } from './define-table.js'
import type { OnParentDelete } from './table-reference.js'

/** The version of {@link RegisteredDefinition}; a later library that changes the form bumps it and still reads 1. */
export const REGISTERED_DEFINITION_FORMAT = 1

/** One column as the registry holds it: its name and its SQL type as the definition wrote it. */
export interface RegisteredColumn {
  readonly name: string
  readonly type: string
}

/** A reference as the registry holds it; the parent is its whole definition. */
export interface RegisteredReference {
  readonly table: RegisteredDefinition
  readonly columns: Readonly<Record<string, string>>
  readonly onParentDelete: OnParentDelete
}

/**
 * A table definition in the registry's JSON form (the column
 * `bitemporal.versioned_table.definition`): what {@link defineTable} takes,
 * every option spelled out, with the columns as arrays because `jsonb` does
 * not keep the order of an object's keys (and the order of key and value
 * columns is part of the table).
 */
export interface RegisteredDefinition {
  readonly format: typeof REGISTERED_DEFINITION_FORMAT
  readonly name: string
  readonly key: readonly RegisteredColumn[]
  readonly values: readonly RegisteredColumn[]
  readonly effectiveColumn: string
  readonly systemColumn: string
  readonly effective: ValidTime
  readonly audit: boolean
  readonly entity: boolean
  readonly references: readonly RegisteredReference[]
}

const FIELDS = ['format', 'name', 'key', 'values', 'effectiveColumn', 'systemColumn', 'effective', 'audit', 'entity', 'references']
const REFERENCE_FIELDS = ['table', 'columns', 'onParentDelete']

/**
 * The registry's JSON form of `definition`; {@link definitionFromRegistry}
 * reads it back into an equal definition.
 *
 * @example
 * ```ts
 * registeredDefinition(defineTable({ name: 'tax_rates', key: { state_id: 'integer' }, values: { rate: "numeric default '0'" } }))
 * // { format: 1, name: 'tax_rates', key: [{ name: 'state_id', type: 'integer' }],
 * //   values: [{ name: 'rate', type: "numeric default '0'" }], effectiveColumn: 'effective',
 * //   systemColumn: 'system', effective: 'date', audit: false, entity: false, references: [] }
 * ```
 */
export function registeredDefinition(definition: TableDefinition): RegisteredDefinition {
  const columns = (types: Readonly<Record<string, string>>): RegisteredColumn[] => Object.entries(types).map(([name, type]) => ({ name, type }))
  return {
    format: REGISTERED_DEFINITION_FORMAT,
    name: definition.name,
    key: columns(definition.key),
    values: columns(definition.values),
    effectiveColumn: definition.effectiveColumn,
    systemColumn: definition.systemColumn,
    effective: definition.validTime,
    audit: definition.audit,
    entity: definition.entity,
    references: definition.references.map((reference) => ({
      table: registeredDefinition(reference.table),
      columns: Object.fromEntries(reference.childColumns.map((child, index) => [child, reference.parentColumns[index] ?? child])),
      onParentDelete: reference.onParentDelete,
    })),
  }
}

/**
 * The definition a registry row holds ({@link registeredDefinition}'s
 * form), validated by {@link defineTable} like one written in code.
 *
 * @throws {InvalidInputError} naming `relation` when the JSON is not a
 *   definition of a format this library reads (a row edited by hand, or
 *   written by a later library).
 */
export function definitionFromRegistry(json: unknown, relation: string): TableDefinition {
  return defineTable(tableOptions(json, relation))
}

function tableOptions(json: unknown, relation: string): TableOptions<Record<string, string>, Record<string, string>> {
  const wrong = (why: string): InvalidInputError =>
    new InvalidInputError(`the registered definition of ${relation} cannot be read (${why}); run upgradeTable(db, definition) in a migration to write it again`)
  if (!isPlainObject(json)) throw wrong(`it is ${describeValue(json)}, not an object`)
  if (json['format'] !== REGISTERED_DEFINITION_FORMAT) {
    throw wrong(`format ${describeValue(json['format'])}; this version of the library reads format ${String(REGISTERED_DEFINITION_FORMAT)}`)
  }
  const unknown = unknownKeys(json, FIELDS)
  if (unknown.length > 0) throw wrong(unknownKeysText(unknown, 'field'))
  const columns = (field: 'key' | 'values'): Record<string, string> => {
    const list: unknown = json[field]
    if (!Array.isArray(list)) throw wrong(`${field} is not an array`)
    return Object.fromEntries(
      list.map((column: unknown) => {
        if (!isPlainObject(column) || typeof column['name'] !== 'string' || typeof column['type'] !== 'string') {
          throw wrong(`${field} holds ${describeValue(column)}, not { name, type }`)
        }
        return [column['name'], column['type']]
      }),
    )
  }
  const references: unknown = json['references']
  if (!Array.isArray(references)) throw wrong('references is not an array')
  return {
    name: json['name'] as string,
    key: columns('key'),
    values: columns('values'),
    effectiveColumn: json['effectiveColumn'] as string,
    systemColumn: json['systemColumn'] as string,
    effective: json['effective'] as ValidTime,
    audit: json['audit'] as boolean,
    entity: json['entity'] as boolean,
    // defineTable checks the types of the fields above and of what the references hold.
    references: references.map((reference: unknown) => {
      if (!isPlainObject(reference)) throw wrong(`references holds ${describeValue(reference)}`)
      const unknownReference = unknownKeys(reference, REFERENCE_FIELDS)
      if (unknownReference.length > 0) throw wrong(`a reference has ${unknownKeysText(unknownReference, 'field')}`)
      return {
        table: definitionFromRegistry(reference['table'], relation),
        columns: reference['columns'] as Record<string, string>,
        onParentDelete: reference['onParentDelete'] as OnParentDelete,
      }
    }),
  }
}
