import { LIBRARY_SQLSTATE } from '../errors/map-database-error.js'
import type { ColumnDefinition, TableDefinition } from './define-table.js'
import { quoteLiteral } from './identifier.js'

// Not types but CREATE TABLE shorthands for an integer with a sequence:
// to_regtype does not know them, CREATE TABLE does.
const SERIAL_TYPES = new Set(['smallserial', 'serial', 'bigserial', 'serial2', 'serial4', 'serial8'])

/**
 * A `DO` block that asks PostgreSQL, with `to_regtype`, whether it knows the
 * type of each key and value column of `definition`, and raises SQLSTATE
 * BT004 (an `InvalidInputError` in the library) naming the first column
 * whose type it does not. `createTable` sends it in front of the DDL, in the
 * same batch: one round trip, one implicit transaction (or the caller's), so
 * an unknown type creates nothing, and the type is looked up where the table
 * will be created: the same `search_path`, enums, domains and extension
 * types created earlier in the migration included.
 *
 * Without it, a misspelt type (`int4eger`) fails as `type "int4eger" does
 * not exist` (42704) without saying which column, or worse, first in the
 * entity table or a function signature built from the key's types.
 *
 * @example
 * ```ts
 * columnTypesCheckSql(defineTable({ name: 'tax_rates', key: { id: 'integer' }, values: { rate: 'int4eger' } }))
 * ```
 * gives
 * ```sql
 * do $bitemporal_check_types$ begin
 *   if to_regtype('integer') is null then raise exception using errcode = 'BT004', message = 'bitemporal: column "id" of "tax_rates" has type "integer", …'; end if;
 *   if to_regtype('int4eger') is null then raise exception using errcode = 'BT004', message = 'bitemporal: column "rate" of "tax_rates" has type "int4eger", …'; end if;
 * end $bitemporal_check_types$;
 * ```
 */
export function columnTypesCheckSql(definition: TableDefinition): string {
  const checks = [...definition.keyColumns, ...definition.valueColumns]
    .filter((column) => !SERIAL_TYPES.has(column.type))
    .map((column) => `  if to_regtype(${quoteLiteral(column.type)}) is null then ${raiseUnknown(definition, column)}; end if;`)
  // Names and types reach this point validated (letters, digits, _, sizes,
  // []), so neither can end the dollar quote; they are quoted as literals anyway.
  return ['do $bitemporal_check_types$ begin', ...checks, 'end $bitemporal_check_types$;'].join('\n')
}

function raiseUnknown(definition: TableDefinition, column: ColumnDefinition): string {
  const message =
    `bitemporal: column "${column.name}" of "${definition.name}" has type "${column.type}", which PostgreSQL does not know; ` +
    'check the spelling in defineTable (e.g. "integer", "numeric(10,2)", "text[]")'
  const hint =
    'An enum, a domain or a composite type must be created before the table (create type … in an earlier statement of the migration); ' +
    'an extension type such as citext needs its extension (create extension …); a type in another schema needs that schema on the search_path or in its name.'
  return `raise exception using errcode = ${quoteLiteral(LIBRARY_SQLSTATE.unknownType)}, message = ${quoteLiteral(message)}, hint = ${quoteLiteral(hint)}`
}
