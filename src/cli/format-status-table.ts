import type { MigrationStatus } from '../migrate/migration-runner.js'
import { formatTextTable } from './format-text-table.js'

/**
 * Renders `MigrationRunner.status()` as an aligned text table with the
 * columns name, state and applied at ("-" when not applied).
 *
 * @example
 * ```text
 * name                      state    applied at
 * 20260101120000_tax_rates  applied  2026-01-01T12:00:03.123Z
 * 20260102090000_invoices   pending  -
 * ```
 */
export function formatStatusTable(statuses: readonly MigrationStatus[]): string {
  return formatTextTable([['name', 'state', 'applied at'], ...statuses.map((s) => [s.name, s.state, s.appliedAt ?? '-'])])
}
