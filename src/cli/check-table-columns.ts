import { sql } from 'kysely'
import type { AnyKysely } from '../any-kysely.js'
import { AUDIT_COLUMNS, type TableDefinition } from '../schema/define-table.js'
import { quoteIdentifier } from '../schema/identifier.js'
import { tableSqlNames } from '../schema/table-sql-names.js'

interface ExpectedColumn {
  readonly name: string
  readonly type: string
}

interface ColumnRow {
  readonly name: string
  readonly expected_type: string | null
  /** `format_type` of the table's column, or null when the table has no such column. */
  readonly actual_type: string | null
  /** The definition's type without size, as PostgreSQL spells it: `character varying` for `varchar(20)`. */
  readonly expected_base: string | null
  readonly actual_base: string | null
}

// CREATE TABLE shorthands: the column is the integer type, which to_regtype knows.
const SERIAL_TYPES: Readonly<Record<string, string>> = {
  smallserial: 'smallint',
  serial2: 'smallint',
  serial: 'integer',
  serial4: 'integer',
  bigserial: 'bigint',
  serial8: 'bigint',
}

const upgrade = 'run upgradeTable(db, definition) in a migration'

/**
 * Whether the table's columns are the ones its registered definition
 * describes: a column added, dropped or renamed with a plain `ALTER TABLE`,
 * or a type changed, makes them disagree until the definition says so and
 * `upgradeTable` has run (docs/semantics.md §5a). Types are compared as
 * PostgreSQL names them (`varchar(20)` is `character varying(20)`), size
 * included.
 *
 * @returns one message per disagreement, each with its fix; empty when they agree.
 */
export async function checkTableColumns(db: AnyKysely, oid: string, definition: TableDefinition): Promise<string[]> {
  const expected: ExpectedColumn[] = [
    ...[...definition.keyColumns, ...definition.valueColumns].map((column) => ({ name: column.name, type: SERIAL_TYPES[column.type] ?? column.type })),
    ...(definition.audit ? Object.values(AUDIT_COLUMNS).map((name) => ({ name, type: 'text' })) : []),
    { name: definition.effectiveColumn, type: definition.validTime === 'date' ? 'daterange' : 'tstzrange' },
    { name: definition.systemColumn, type: 'tsrange' },
  ]
  const { rows } = await sql<ColumnRow>`
    with expected as (select * from jsonb_to_recordset(${JSON.stringify(expected)}::jsonb) as e(name text, type text)),
      actual as (
        select a.attname::text as name, a.attnum, format_type(a.atttypid, a.atttypmod) as type, format_type(a.atttypid, null) as base
        from pg_catalog.pg_attribute a where a.attrelid = ${oid}::oid and a.attnum > 0 and not a.attisdropped)
    select coalesce(e.name, a.name) as name, e.type as expected_type, a.type as actual_type,
      format_type(to_regtype(e.type), null) as expected_base, a.base as actual_base
    from expected e full join actual a on a.name = e.name
    order by a.attnum nulls last, e.name`.execute(db)
  const table = tableSqlNames(definition).table
  const missing = rows.filter((row) => row.actual_type === null)
  const added = rows.filter((row) => row.expected_type === null)
  const problems: string[] = []
  // One column gone and one of the same type come: a rename made by hand.
  const [gone] = missing
  const [come] = added
  if (missing.length === 1 && added.length === 1 && gone !== undefined && come !== undefined && gone.expected_base === come.actual_base) {
    problems.push(
      `column "${gone.name}" of the registered definition is not in the table, and "${come.name}" (${String(come.actual_type)}) is not in the definition: renamed with ALTER TABLE? ` +
        `Rename it in the definition and ${upgrade} (alterTable(db, definition, { rename: { ${gone.name}: '${come.name}' } }) renames a column without this drift)`,
    )
  } else {
    for (const row of added) {
      problems.push(
        `column "${row.name}" (${String(row.actual_type)}) is in the table but not in its registered definition (added with ALTER TABLE?): add it to the definition's values and ${upgrade}`,
      )
    }
    for (const row of missing) {
      problems.push(
        `column "${row.name}" (${String(row.expected_type)}) of the registered definition is not in the table (dropped with ALTER TABLE?): the values it held are gone; ` +
          `add it back (alter table ${table} add column ${quoteIdentifier(row.name)} ${String(row.expected_type)}), then ${upgrade}`,
      )
    }
  }
  for (const row of rows) {
    // A type the CLI's search_path does not reach (an enum in another schema) cannot be compared; saying it changed would be a guess.
    if (row.expected_type === null || row.actual_type === null || row.expected_base === null) continue
    if (row.expected_base === row.actual_base && sizeOf(row.expected_type) === sizeOf(row.actual_type)) continue
    problems.push(
      `column "${row.name}" is ${row.actual_type} in the table but ${row.expected_type} in its registered definition (changed with ALTER TABLE?): ` +
        `write ${row.actual_type} in the definition and ${upgrade} (alterTable(db, definition) widens a type without this drift)`,
    )
  }
  return problems
}

/** `(10,2)` of `numeric(10, 2)`, `(20)` of `character varying(20)[]`; empty without a size. */
function sizeOf(type: string): string {
  return /\(\s*\d+\s*(?:,\s*\d+\s*)?\)/.exec(type)?.[0].replace(/\s+/g, '') ?? ''
}
