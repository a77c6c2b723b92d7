import { LIBRARY_SQLSTATE } from '../errors/map-database-error.js'
import type { ColumnDefinition, TableDefinition } from './define-table.js'
import { quoteLiteral } from './identifier.js'

// Not types but CREATE TABLE shorthands for an integer with a sequence:
// to_regtype does not know them, CREATE TABLE does.
const SERIAL_TYPES = new Set(['smallserial', 'serial', 'bigserial', 'serial2', 'serial4', 'serial8'])

/**
 * A `DO` block that asks PostgreSQL whether it can use the type of each key
 * and value column of `definition`, and raises SQLSTATE BT004 (an
 * `InvalidInputError` in the library) naming the first column whose type it
 * cannot, the table, and PostgreSQL's own complaint. `createTable` sends it
 * as a statement of its own just before the DDL, on the same connection in
 * the caller's transaction, so a bad type creates nothing, and the type is
 * looked up where the table will be created: the same `search_path`, enums,
 * domains and extension types created earlier in the migration included.
 * Not in the DDL's batch: PostgreSQL parses a whole batch before running
 * any of it, so `int(11)` in the DDL would fail as a bare syntax error
 * before this block ran.
 *
 * Each type is parsed as a cast, `select null::<type> where false`, run
 * with `execute` so that a syntax error (`int(11)`, `double precision(2)`)
 * or a size the type does not take (`text(5)`) is raised inside the
 * column's own `begin … exception` block, not when the block is compiled;
 * `where false` keeps the cast from running, so a `not null` domain passes.
 * `to_regtype` alone misses those: on PostgreSQL 15 it raises them itself,
 * naming no column, and on 16 and later it answers null for a syntax error.
 *
 * Without it, a misspelt type (`int4eger`) fails as `type "int4eger" does
 * not exist` (42704), and `int(11)` as `syntax error at or near "("`
 * (42601), without saying which column or table.
 *
 * @example
 * ```ts
 * columnTypesCheckSql(taxRates) // key state_id integer, tax_type text; value rate numeric not null
 * ```
 * gives (one block per column; the last shown; with `rate: 'int(11)'` the
 * block runs `select null::int(11) where false` and names "int(11)")
 * ```sql
 * do $bitemporal_check_types$ begin
 *   …
 *   begin
 *     execute 'select null::numeric where false';
 *   exception
 *     when undefined_object or invalid_schema_name then raise exception using errcode = 'BT004', message = 'bitemporal: column "rate" of "tax_rates" has type "numeric", which PostgreSQL does not know (' || sqlerrm || '); …', hint = '…';
 *     when others then raise exception using errcode = 'BT004', message = 'bitemporal: column "rate" of "tax_rates" has type "numeric", which PostgreSQL cannot use: ' || sqlerrm || '; …';
 *   end;
 * end $bitemporal_check_types$;
 * ```
 */
export function columnTypesCheckSql(definition: TableDefinition): string {
  const checks = [...definition.keyColumns, ...definition.valueColumns]
    .filter((column) => !SERIAL_TYPES.has(column.type))
    .map((column) =>
      [
        '  begin',
        `    execute ${quoteLiteral(`select null::${column.type} where false`)};`,
        '  exception',
        `    when undefined_object or invalid_schema_name then ${raiseUnknown(definition, column)};`,
        `    when others then ${raiseUnusable(definition, column)};`,
        '  end;',
      ].join('\n'),
    )
  // Names and types reach this point validated (letters, digits, _, sizes,
  // []), so neither can end the dollar quote or the cast; they are quoted as literals anyway.
  return ['do $bitemporal_check_types$ begin', ...checks, 'end $bitemporal_check_types$;'].join('\n')
}

/** `bitemporal: column "rate" of "tax_rates" has type "int4eger", which PostgreSQL `: the start of both messages. */
function columnText(definition: TableDefinition, column: ColumnDefinition): string {
  return `bitemporal: column "${column.name}" of "${definition.name}" has type "${column.type}", which PostgreSQL `
}

function raiseUnknown(definition: TableDefinition, column: ColumnDefinition): string {
  const message =
    `${quoteLiteral(`${columnText(definition, column)}does not know (`)} || sqlerrm || ` +
    quoteLiteral('); check the spelling in defineTable (e.g. "integer", "numeric(10,2)", "text[]")')
  const hint =
    'An enum, a domain or a composite type must be created before the table (create type … in an earlier statement of the migration); ' +
    'an extension type such as citext needs its extension (create extension …); a type in another schema needs that schema on the search_path or in its name.'
  return `raise exception using errcode = ${quoteLiteral(LIBRARY_SQLSTATE.unknownType)}, message = ${message}, hint = ${quoteLiteral(hint)}`
}

function raiseUnusable(definition: TableDefinition, column: ColumnDefinition): string {
  const message =
    `${quoteLiteral(`${columnText(definition, column)}cannot use: `)} || sqlerrm || ` +
    quoteLiteral(
      '; write it as PostgreSQL spells it in a column definition, a size after the type\'s first word and only where the type takes one ' +
        '(e.g. "integer", "varchar(11)", "numeric(10,2)", "timestamp(3) with time zone")',
    )
  return `raise exception using errcode = ${quoteLiteral(LIBRARY_SQLSTATE.unknownType)}, message = ${message}`
}
