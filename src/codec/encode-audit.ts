import { InvalidInputError } from '../errors/errors.js'
import type { TableSqlContext } from '../statement/table-sql-context.js'

const tableName = (context: TableSqlContext): string => context.definition.name

/** `{ actor, reason }` of a write on an audited table; `actor` is required there. */
export function encodeAudit(context: TableSqlContext, options: { readonly actor?: unknown; readonly reason?: unknown }): unknown[] {
  if (!context.audit) {
    if (options.actor !== undefined || options.reason !== undefined) {
      throw new InvalidInputError(`"${tableName(context)}" records no actor or reason; define it with audit: true to record them`)
    }
    return []
  }
  const { actor, reason } = options
  if (typeof actor !== 'string' || actor.trim() === '' || actor.includes('\0')) {
    throw new InvalidInputError(`"${tableName(context)}" is audited: every write needs { actor } naming who makes the change`)
  }
  if (reason !== undefined && reason !== null && (typeof reason !== 'string' || reason.includes('\0'))) {
    throw new InvalidInputError(`reason must be a string`)
  }
  return [actor, reason ?? null]
}
