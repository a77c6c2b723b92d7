import { sql } from 'kysely'
import type { AnyKysely } from '../any-kysely.js'
import { InvalidInputError } from '../errors/errors.js'
import { parseQualifiedName, quoteQualifiedName } from '../schema/identifier.js'
import { type RegisteredTable, registeredTables } from './registered-tables.js'
import { UsageError } from './usage-error.js'

/**
 * The registered bitemporal table that `name` (`tax_rates` or
 * `billing.tax_rates`) names, resolved like SQL resolves it: an unqualified
 * name through the session's search_path.
 *
 * @throws {UsageError} with `usage` when the name is malformed or names no
 *   registered table; the message lists the registered tables.
 * @throws {NotFoundError} when the library is not installed.
 */
export async function findRegisteredTable(db: AnyKysely, name: string, usage: string): Promise<RegisteredTable> {
  let quoted: string
  try {
    quoted = quoteQualifiedName(parseQualifiedName(name, 'table'))
  } catch (error) {
    if (error instanceof InvalidInputError) {
      throw new UsageError(`${JSON.stringify(name.slice(0, 80))} is not a table name (${error.description})`, usage)
    }
    throw error
  }
  const tables = await registeredTables(db)
  const { rows } = await sql<{ oid: string | null }>`select to_regclass(${quoted})::oid::text as oid`.execute(db)
  const oid = rows[0]?.oid ?? null
  const found = tables.find((table) => table.relation !== undefined && table.oid === oid)
  if (found !== undefined) return found
  const existing = tables.filter((table) => table.relation !== undefined).map((table) => table.displayName)
  const registered = existing.length === 0 ? 'no table is registered yet (createTable registers one)' : `registered: ${existing.join(', ')}`
  const why = oid === null ? 'there is no such table' : 'it exists but is not a bitemporal table'
  throw new UsageError(`table "${name}" is not a registered bitemporal table (${why}); ${registered}`, usage)
}
