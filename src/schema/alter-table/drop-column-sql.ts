import { InvalidInputError } from '../../errors/errors.js'
import { isPlainObject } from '../../values/is-plain-object.js'
import { unknownKeys, unknownKeysText } from '../../values/unknown-keys.js'
import { AUDIT_COLUMNS, type TableDefinition } from '../define-table.js'
import { quoteIdentifier, quoteLiteral, validateIdentifier } from '../identifier.js'
import { tableSqlNames } from '../table-sql-names.js'

/** Who drops a value column and why: both required, both recorded in `bitemporal.dropped_column`. */
export interface DropColumnAudit {
  readonly actor: string
  readonly reason: string
}

/**
 * The statements that drop value column `column` from the table of
 * `definition` (the definition the table is brought to, which no longer
 * has the column) as an explicit, audited operation (docs/semantics.md §5a):
 *
 * 1. a check that the role running it may ALTER the table (its owner, a
 *    member of the owning role, or a superuser), raising SQLSTATE 42501
 *    with a message that says so before anything is locked, then an
 *    ACCESS EXCLUSIVE lock on the table, so that the count is exact;
 * 2. the record in `bitemporal.dropped_column`: table, column, type, the
 *    number of versions that held a value in it, actor, reason, role, login
 *    and system time (sql/0011_dropped_column.sql and sql/functions/record_dropped_column.sql);
 * 3. the `ALTER TABLE … DROP COLUMN`.
 *
 * Run them in one transaction, with the history guard trigger (whose
 * condition names every column) dropped before and created again after:
 * `alterTable`'s engine does both. Actor and reason are literals in the
 * text, so that `alterTableSql` shows the whole change.
 *
 * @example
 * ```ts
 * dropColumnSql(prices, 'legacy_code', { actor: 'ops@example.com', reason: 'TICKET-12: code retired' })
 * ```
 * gives
 * ```sql
 * do $bitemporal$ begin if not pg_has_role(current_user, (select c.relowner from pg_class c where c.oid = '"prices"'::regclass), 'USAGE') then
 *   raise exception using errcode = '42501', message = …; end if; lock table "prices" in access exclusive mode; end $bitemporal$;
 * select bitemporal.record_dropped_column('"prices"'::regclass, 'legacy_code',
 *   (select count(*) from "prices" where "legacy_code" is not null), 'ops@example.com', 'TICKET-12: code retired');
 * alter table "prices" drop column "legacy_code";
 * ```
 */
export function dropColumnSql(definition: TableDefinition, column: string, audit: DropColumnAudit): string[] {
  const name = validateIdentifier(column, 'dropColumnSql: column')
  const kept = [
    ...definition.keyColumns.map((c) => c.name),
    ...definition.valueColumns.map((c) => c.name),
    definition.effectiveColumn,
    definition.systemColumn,
    ...(definition.audit ? Object.values(AUDIT_COLUMNS) : []),
  ]
  if (kept.includes(name)) {
    throw new InvalidInputError(
      `cannot drop column "${name}" of "${definition.name}": the definition still has it (only a value column the new definition leaves out can be dropped)`,
    )
  }
  const { actor, reason } = readDropColumnAudit(audit, `dropping column "${name}" of "${definition.name}"`)
  const { table, tableLiteral } = tableSqlNames(definition)
  const quoted = quoteIdentifier(name)
  const refusal = quoteLiteral(
    `bitemporal: only the owner of ${table} may drop its column ${quoted} (ALTER TABLE); run the migration as that role. Nothing was changed.`,
  )
  return [
    `do $bitemporal$ begin
  if not pg_has_role(current_user, (select c.relowner from pg_class c where c.oid = ${tableLiteral}::regclass), 'USAGE') then
    raise exception using errcode = '42501', message = ${refusal};
  end if;
  lock table ${table} in access exclusive mode;
end $bitemporal$;`,
    `select bitemporal.record_dropped_column(${tableLiteral}::regclass, ${quoteLiteral(name)}, (select count(*) from ${table} where ${quoted} is not null), ${quoteLiteral(actor)}, ${quoteLiteral(reason)});`,
    `alter table ${table} drop column ${quoted};`,
  ]
}

/** Checks `{ actor, reason }` of a drop: both non-empty strings without NUL, nothing else. */
export function readDropColumnAudit(audit: unknown, what: string): DropColumnAudit {
  if (!isPlainObject(audit)) throw new InvalidInputError(`${what} needs { actor, reason }: who drops it and why`)
  const unknown = unknownKeys(audit, ['actor', 'reason'])
  if (unknown.length > 0) throw new InvalidInputError(`${what}: ${unknownKeysText(unknown)}; give { actor, reason }`)
  const text = (value: unknown, field: string): string => {
    if (typeof value !== 'string' || value.trim() === '' || value.includes('\0')) {
      throw new InvalidInputError(`${what} needs ${field}: a non-empty string without NUL characters (it is recorded in bitemporal.dropped_column)`)
    }
    return value
  }
  return { actor: text(audit['actor'], 'an actor (who drops it)'), reason: text(audit['reason'], 'a reason (why)') }
}
