import { sql } from 'kysely'
import type { AnyKysely } from '../any-kysely.js'
import { NotFoundError } from '../errors/errors.js'

/** One row of the registry `bitemporal.versioned_table`, with where its table is now. */
export interface RegisteredTable {
  /** The OID the registry holds, as text. */
  readonly oid: string
  /** The name as PostgreSQL prints it for the current search_path (`tax_rates`, `billing.tax_rates`), or the bare OID once the table is gone. */
  readonly displayName: string
  /** Schema and name of the table, or `undefined` when no table has that OID any more. */
  readonly relation: { readonly schema: string; readonly name: string } | undefined
  readonly keyColumns: readonly string[]
  readonly valueColumns: readonly string[]
  readonly effectiveColumn: string
  readonly systemColumn: string
}

interface RegistryRow {
  readonly oid: string
  readonly display_name: string
  readonly schema_name: string | null
  readonly table_name: string | null
  /** JSON arrays. */
  readonly key_columns: string
  readonly value_columns: string
  readonly effective_column: string
  readonly system_column: string
}

/**
 * Every registered bitemporal table, ordered by name. A regclass value in a
 * table is not a dependency, so dropping a versions table leaves its
 * registry row behind; such rows come back with `relation: undefined`.
 *
 * @throws {NotFoundError} when the library is not installed in the database.
 */
export async function registeredTables(db: AnyKysely): Promise<readonly RegisteredTable[]> {
  const { rows: installed } = await sql<{ found: boolean }>`select to_regclass('bitemporal.versioned_table') is not null as found`.execute(db)
  if (installed[0]?.found !== true) {
    throw new NotFoundError('the library is not installed in this database (no table bitemporal.versioned_table): run "bitemporal migrate up", or check --url')
  }
  // Arrays travel as text and are split here: the pool's array parser is not ours to rely on.
  const { rows } = await sql<RegistryRow>`
    select r.relation::oid::text as oid, r.relation::text as display_name, n.nspname as schema_name, c.relname as table_name,
           array_to_json(r.key_columns)::text as key_columns, array_to_json(r.value_columns)::text as value_columns,
           r.effective_column, r.system_column
    from bitemporal.versioned_table r
    left join pg_catalog.pg_class c on c.oid = r.relation
    left join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    order by n.nspname is null, n.nspname, c.relname, r.relation::oid`.execute(db)
  return Object.freeze(
    rows.map((row) =>
      Object.freeze({
        oid: row.oid,
        // A dangling regclass prints as its bare OID, which reads like a count in messages.
        displayName: row.table_name === null ? `table OID ${row.oid}` : row.display_name,
        relation: row.schema_name === null || row.table_name === null ? undefined : Object.freeze({ schema: row.schema_name, name: row.table_name }),
        keyColumns: Object.freeze(parseNames(row.key_columns)),
        valueColumns: Object.freeze(parseNames(row.value_columns)),
        effectiveColumn: row.effective_column,
        systemColumn: row.system_column,
      }),
    ),
  )
}

function parseNames(json: string): string[] {
  const parsed: unknown = JSON.parse(json)
  return Array.isArray(parsed) ? parsed.map(String) : []
}
