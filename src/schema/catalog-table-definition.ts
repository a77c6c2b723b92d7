import { sql } from 'kysely'
import type { AnyKysely } from '../any-kysely.js'
import { InvalidInputError } from '../errors/errors.js'
import { AUDIT_COLUMNS, defineTable, type TableDefinition, type ValidTime } from './define-table.js'
import type { OnParentDelete, ReferenceOptions } from './table-reference.js'

/** What the registry row of a table created before the registry held definitions says. */
export interface RegistryColumns {
  /** OID of the table, as text. */
  readonly oid: string
  readonly keyColumns: readonly string[]
  readonly valueColumns: readonly string[]
  readonly effectiveColumn: string
  readonly systemColumn: string
}

interface CatalogColumn {
  readonly name: string
  /** `format_type`: the type as DDL spells it, size included (`numeric(10,2)`). */
  readonly type: string
  readonly not_null: boolean
  /** `pg_get_expr` of the default: `'n/a'::text`, `0`, `true`. */
  readonly default_value: string | null
}

interface TableFacts {
  readonly schema_name: string
  readonly table_name: string
  /** Argument count of the row guards calling bitemporal.guard_history: 3 on audited tables. */
  readonly guard_arguments: number | null
  readonly has_entity: boolean
}

interface ReferenceRow {
  readonly parent_oid: string | null
  readonly parent_name: string
  readonly child_columns: string
  readonly parent_columns: string
  readonly on_parent_delete: string | null
}

const VALID_TIME: Readonly<Record<string, ValidTime>> = { daterange: 'date', tstzrange: 'timestamp' }

// A default the library can record is a literal; pg_get_expr adds the cast `'n/a'::text`.
const QUOTED_DEFAULT = /^('(?:[^']|'')*')(?:::[a-z0-9_ ."[\]()]+)?$/i
const BARE_DEFAULT = /^(-?\d+(?:\.\d+)?|true|false|null)(?:::[a-z0-9_ ."[\]()]+)?$/i

/**
 * The definition of a table created before the registry held definitions,
 * read from the catalog: which columns are key and value columns and the
 * names of the time columns from its registry row; their types, `not null`
 * and literal defaults from `pg_attribute`; valid time from the type of the
 * effective column; `audit` from the arguments of its history guard (the
 * audited guard is also told the close columns), or, without a guard, from
 * whether the four audit columns are there; `entity` from the foreign key to
 * `<table>_entity`; `references` from the arguments of its reference
 * triggers, each parent read with `parentDefinition`. The name is qualified
 * by the table's schema, so that it names the table whatever the
 * search_path.
 *
 * @throws {InvalidInputError} when the table no longer has a column its
 *   registry row lists, or has one the library cannot describe (a default
 *   that is not a literal).
 */
export async function catalogTableDefinition(
  db: AnyKysely,
  registry: RegistryColumns,
  parentDefinition: (oid: string) => Promise<TableDefinition>,
): Promise<TableDefinition> {
  const oid = registry.oid
  const [facts, columnRows, referenceRows] = await Promise.all([
    sql<TableFacts>`
      select n.nspname as schema_name, c.relname as table_name,
        (select max(t.tgnargs)::int from pg_catalog.pg_trigger t join pg_catalog.pg_proc p on p.oid = t.tgfoid
          where t.tgrelid = c.oid and p.proname = 'guard_history' and p.pronamespace = 'bitemporal'::regnamespace and t.tgtype & 1 = 1) as guard_arguments,
        bitemporal.entity_table_of(c.oid::regclass) is not null as has_entity
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where c.oid = ${oid}::oid`.execute(db),
    sql<CatalogColumn>`
      select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
        pg_catalog.pg_get_expr(d.adbin, d.adrelid) as default_value
      from pg_catalog.pg_attribute a left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where a.attrelid = ${oid}::oid and a.attnum > 0 and not a.attisdropped
      order by a.attnum`.execute(db),
    // Trigger arguments are NUL-separated bytes; createTable's are plain identifiers and quoted names.
    sql<ReferenceRow>`
      select to_regclass(a.args[1])::oid::text as parent_oid, a.args[1] as parent_name, a.args[2] as child_columns, a.args[3] as parent_columns,
        (select (string_to_array(encode(pt.tgargs, 'escape'), '\\000'))[9] from pg_catalog.pg_trigger pt
          where pt.tgrelid = to_regclass(a.args[1]) and pt.tgname = t.tgname || '_parent') as on_parent_delete
      from pg_catalog.pg_trigger t join pg_catalog.pg_proc p on p.oid = t.tgfoid
        cross join lateral (select string_to_array(encode(t.tgargs, 'escape'), '\\000') as args) a
      where t.tgrelid = ${oid}::oid and p.proname = 'check_reference_child' and p.pronamespace = 'bitemporal'::regnamespace
      order by substring(t.tgname from '_reference_([0-9]+)$')::int`.execute(db),
  ])
  const table = facts.rows[0]
  if (table === undefined) throw new InvalidInputError(`no table has OID ${oid} (dropped without dropTable?)`)
  const displayName = `${table.schema_name}.${table.table_name}`
  const columns = new Map(columnRows.rows.map((row) => [row.name, row]))
  const column = (name: string, role: string): CatalogColumn => {
    const found = columns.get(name)
    if (found === undefined) {
      throw new InvalidInputError(`${displayName} has no column "${name}", which its registry row lists as its ${role}; the table was altered after createTable`)
    }
    return found
  }
  const types = (names: readonly string[], role: string, isKey: boolean): Record<string, string> =>
    Object.fromEntries(names.map((name) => [name, columnTypeText(column(name, role), isKey, displayName)]))

  const effectiveType = column(registry.effectiveColumn, 'effective (valid time) column').type
  const validTime = VALID_TIME[effectiveType]
  if (validTime === undefined) {
    throw new InvalidInputError(`column "${registry.effectiveColumn}" of ${displayName} is ${effectiveType}; valid time must be daterange or tstzrange`)
  }
  const audit = table.guard_arguments === null ? Object.values(AUDIT_COLUMNS).every((name) => columns.has(name)) : table.guard_arguments > 1
  const references: ReferenceOptions[] = []
  for (const row of referenceRows.rows) {
    if (row.parent_oid === null) throw new InvalidInputError(`${displayName} references ${row.parent_name}, which does not exist`)
    const parentColumns = row.parent_columns.split(',')
    references.push({
      table: await parentDefinition(row.parent_oid),
      columns: Object.fromEntries(row.child_columns.split(',').map((child, index) => [child, parentColumns[index] ?? child])),
      onParentDelete: (row.on_parent_delete ?? 'restrict') as OnParentDelete,
    })
  }
  const key = types(registry.keyColumns, 'key column', true)
  const values = types(registry.valueColumns, 'value column', false)
  try {
    return defineTable({
      name: displayName,
      key,
      values,
      effectiveColumn: registry.effectiveColumn,
      systemColumn: registry.systemColumn,
      effective: validTime,
      audit,
      entity: table.has_entity,
      references,
    })
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error
    throw new InvalidInputError(`cannot read the definition of ${displayName}: ${error.description}`, { cause: error })
  }
}

/** `numeric(10,2) not null default 0`: a column as a definition writes it. Key columns are always not null and have no default. */
function columnTypeText(column: CatalogColumn, isKey: boolean, displayName: string): string {
  if (isKey) return column.type
  const parts = [column.type]
  if (column.not_null) parts.push('not null')
  if (column.default_value !== null) {
    const literal = QUOTED_DEFAULT.exec(column.default_value)?.[1] ?? BARE_DEFAULT.exec(column.default_value)?.[1]
    if (literal === undefined) {
      throw new InvalidInputError(
        `column "${column.name}" of ${displayName} has the default ${column.default_value}, which is not a literal; a definition holds literal defaults only (drop the default, or set one that is a literal)`,
      )
    }
    parts.push(`default ${literal}`)
  }
  return parts.join(' ')
}
