import { sql } from 'kysely'
import type { AnyKysely } from '../any-kysely.js'
import { InvalidInputError } from '../errors/errors.js'
import { AUDIT_COLUMNS, defineTable, type TableDefinition } from '../schema/define-table.js'
import type { RegisteredTable } from './registered-tables.js'

interface CatalogColumn {
  readonly name: string
  /** `format_type`: the type as DDL would spell it, size included (`numeric(10,2)`). */
  readonly type: string
  readonly not_null: boolean
}

const VALID_TIME: Readonly<Record<string, 'date' | 'timestamp'>> = { daterange: 'date', tstzrange: 'timestamp' }

/**
 * Rebuilds the definition `createTable` was given, from the registry row and
 * the table's columns in the catalog, so that a repository over it reads the
 * table with the same codecs as the application's own definition.
 * `audit` is true when the table has all four audit columns (the registry
 * does not record it).
 *
 * @throws {InvalidInputError} when the table no longer matches its registry
 *   row (a column gone or of the wrong type) or has a column type the
 *   library cannot read.
 */
export async function catalogDefinition(db: AnyKysely, table: RegisteredTable): Promise<TableDefinition> {
  const relation = table.relation
  if (relation === undefined) throw new InvalidInputError(`bitemporal: the registry names table OID ${table.oid}, which no longer exists`)
  const { rows } = await sql<CatalogColumn>`
    select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null
    from pg_catalog.pg_attribute a
    where a.attrelid = ${table.oid}::oid and a.attnum > 0 and not a.attisdropped
    order by a.attnum`.execute(db)
  const columns = new Map(rows.map((row) => [row.name, row]))
  const column = (name: string, role: string): CatalogColumn => {
    const found = columns.get(name)
    if (found === undefined) {
      throw new InvalidInputError(`bitemporal: ${table.displayName} has no column "${name}", which the registry lists as its ${role}; the table was altered after createTable`)
    }
    return found
  }
  const types = (names: readonly string[], role: string): Record<string, string> =>
    Object.fromEntries(
      names.map((name) => {
        const found = column(name, role)
        return [name, found.not_null ? `${found.type} not null` : found.type]
      }),
    )

  const effectiveType = column(table.effectiveColumn, 'effective (valid time) column').type
  const validTime = VALID_TIME[effectiveType]
  if (validTime === undefined) {
    throw new InvalidInputError(`bitemporal: column "${table.effectiveColumn}" of ${table.displayName} is ${effectiveType}; valid time must be daterange or tstzrange`)
  }
  const systemType = column(table.systemColumn, 'system (transaction time) column').type
  if (systemType !== 'tsrange') {
    throw new InvalidInputError(`bitemporal: column "${table.systemColumn}" of ${table.displayName} is ${systemType}; system time must be tsrange`)
  }
  const key = types(table.keyColumns, 'key column')
  const values = types(table.valueColumns, 'value column')
  try {
    return defineTable({
      name: `${relation.schema}.${relation.name}`,
      key,
      values,
      effectiveColumn: table.effectiveColumn,
      systemColumn: table.systemColumn,
      effective: validTime,
      audit: Object.values(AUDIT_COLUMNS).every((name) => columns.has(name)),
    })
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error
    throw new InvalidInputError(`bitemporal: cannot read ${table.displayName}: ${error.message.replace(/^bitemporal: /, '')}`, { cause: error })
  }
}
