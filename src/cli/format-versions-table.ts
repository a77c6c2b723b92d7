import type { Version } from '../codec/decode-version.js'
import type { TableDefinition } from '../schema/define-table.js'
import { formatTextTable } from './format-text-table.js'

/** Shown for an unbounded end of a range, which the tables of docs/semantics.md §3 write as `∞`. */
export const UNBOUNDED = '-'

/**
 * Renders versions as an aligned table: the key columns, the value columns,
 * effective from/to, system from/to, and whether the version is current
 * knowledge or was superseded (its system range closed). Unbounded ends
 * are `-`.
 *
 * @example
 * ```text
 * state_id  tax_type    rate  effective from  effective to  system from                  system to                    knowledge
 * 1         income_tax  0.15  2023-01-01      -             2026-01-01T12:00:00.000001Z  2026-01-01T12:00:01.000002Z  superseded
 * 1         income_tax  0.19  2023-01-01      -             2026-01-01T12:00:01.000002Z  -                            current
 * ```
 */
export function formatVersionsTable(definition: TableDefinition, versions: readonly Version<TableDefinition>[]): string {
  const keys = definition.keyColumns.map((column) => column.name)
  const values = definition.valueColumns.map((column) => column.name)
  const header = [...keys, ...values, 'effective from', 'effective to', 'system from', 'system to', 'knowledge']
  const rows = versions.map((version) => [
    ...keys.map((name) => formatCell(version.key[name])),
    ...values.map((name) => formatCell(version.values[name])),
    version.effective.from,
    version.effective.to ?? UNBOUNDED,
    version.system.from,
    version.system.to ?? UNBOUNDED,
    version.system.to === null ? 'current' : 'superseded',
  ])
  return formatTextTable([header, ...rows])
}

/**
 * One value as a table cell: text as stored, `null` for SQL NULL, JSON for
 * objects and arrays, `\x…` hex for bytea; line breaks escaped so that a
 * row stays one line.
 */
export function formatCell(value: unknown): string {
  let text: string
  if (value === null || value === undefined) text = 'null'
  else if (typeof value === 'string') text = value
  else if (value instanceof Uint8Array) text = `\\x${Buffer.from(value).toString('hex')}`
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') text = String(value)
  else text = JSON.stringify(value)
  return text.replace(/[\r\n\t]/g, (c) => JSON.stringify(c).slice(1, -1))
}
