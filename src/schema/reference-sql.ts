import { InvalidInputError } from '../errors/errors.js'
import { AUDIT_COLUMNS, type TableDefinition } from './define-table.js'
import { quoteIdentifier, quoteLiteral, quoteQualifiedName } from './identifier.js'
import type { ReferenceDefinition } from './table-reference.js'

/** The names `createTableSql` gives the parts of the child's reference number `index`. */
export interface ReferenceSqlNames {
  /** Constraint trigger on the child: `"contracts_reference_0"`. */
  readonly childTrigger: string
  /** Constraint trigger on the parent: `"contracts_reference_0_parent"` (named after the child, so several children can share a parent). */
  readonly parentTrigger: string
  /** Partial index of the child's current versions by the referencing columns, when its key does not start with them. */
  readonly childIndex: string
  /** The parent table, quoted. */
  readonly parentTable: string
}

const MAX_NAME = 63

export function referenceSqlNames(child: TableDefinition, reference: ReferenceDefinition, index: number): ReferenceSqlNames {
  const derived = (suffix: string): string => {
    const name = `${child.table.name}_reference_${String(index)}${suffix}`
    if (name.length > MAX_NAME) {
      throw new InvalidInputError(`table name "${child.table.name}" is too long for its references: "${name}" would exceed ${MAX_NAME} characters`)
    }
    return quoteIdentifier(name)
  }
  return Object.freeze({
    childTrigger: derived(''),
    parentTrigger: derived('_parent'),
    childIndex: derived('_current'),
    parentTable: quoteQualifiedName(reference.table.table),
  })
}

/**
 * The DDL of a child table's temporal references, appended by
 * `createTableSql` after the child table: per reference, a deferred
 * constraint trigger on each side (functions in `sql/functions/check_reference_child.sql` and `check_reference_parent.sql`)
 * and, unless the child's key starts with the referencing columns, a partial
 * index that lets the parent's check find the current children of a key.
 *
 * @example
 * For `contracts` (audited) with `references: [{ table: customers, columns: { customer_id: 'customer_id' } }]`:
 * ```sql
 * create index "contracts_reference_0_current" on "contracts" ("customer_id", lower("effective")) where upper_inf("system");
 * create constraint trigger "contracts_reference_0" after insert on "contracts"
 *   deferrable initially deferred for each row
 *   when (NEW."customer_id" is not null)
 *   execute function bitemporal.check_reference_child('"customers"', 'customer_id', 'customer_id', 'contract_id', 'effective', 'system', 'effective', 'system');
 * create constraint trigger "contracts_reference_0_parent" after update or delete on "customers"
 *   deferrable initially deferred for each row
 *   when (upper_inf(OLD."system"))
 *   execute function bitemporal.check_reference_parent('"contracts"', 'customer_id', 'customer_id', 'contract_id', 'effective', 'system', 'effective', 'system', 'restrict',
 *     'recorded_by', 'recorded_reason', 'closed_by', 'closed_reason');  -- the audit columns, on audited tables only
 * ```
 * With `onParentDelete: 'cascade'` the parent's trigger is a plain
 * `after update or delete … for each row` trigger (not deferred): it cuts
 * the children when the parent's statement ends.
 *
 * Every row a write inserts is current, so the child's trigger needs no
 * condition on `system`; the parent's fires only for rows that were
 * current (a close, or a write replacing rows its own transaction
 * inserted), which are the only changes that can shrink coverage.
 */
export function referencesSql(child: TableDefinition): string[] {
  return child.references.flatMap((reference, index) => referenceSql(child, reference, index))
}

// restrict checks at commit, so a transaction may shrink the parent before
// it moves the children; cascade acts at the end of the parent's statement,
// on the children as they are then, so that children written earlier in
// the same transaction are cut too instead of failing their own check,
// which is queued before the parent's and would run first at commit.
const PARENT_TIMING = { restrict: 'constraint trigger', cascade: 'trigger' } as const
const PARENT_TIMING_CLAUSE = { restrict: 'deferrable initially deferred ', cascade: '' } as const

/**
 * The DDL of one reference of `child`, number `index` of its `references`
 * (the number its triggers and index are named after): what
 * {@link referencesSql} gives for it. Also used when a reference is turned
 * on for an existing table (`turnOnReferencesSql`).
 */
export function referenceSql(child: TableDefinition, reference: ReferenceDefinition, index: number): string[] {
  const childTable = quoteQualifiedName(child.table)
  const names = referenceSqlNames(child, reference, index)
  const columns = reference.childColumns.map(quoteIdentifier)
  const keyPrefix = child.keyColumns.slice(0, columns.length).map((c) => c.name)
  const indexed = reference.childColumns.every((c, i) => keyPrefix[i] === c)
  const common = [
    reference.childColumns.join(','),
    reference.parentColumns.join(','),
    child.keyColumns.map((c) => c.name).join(','),
    child.effectiveColumn,
    child.systemColumn,
    reference.table.effectiveColumn,
    reference.table.systemColumn,
  ]
  const audit = child.audit ? [AUDIT_COLUMNS.recordedBy, AUDIT_COLUMNS.recordedReason, AUDIT_COLUMNS.closedBy, AUDIT_COLUMNS.closedReason] : []
  const childArguments = [quoteLiteral(names.parentTable), ...common.map(quoteLiteral)].join(', ')
  const parentArguments = [quoteLiteral(childTable), ...[...common, reference.onParentDelete, ...audit].map(quoteLiteral)].join(', ')
  return [
    ...(indexed
      ? []
      : [
          `create index ${names.childIndex} on ${childTable} (${[...columns, `lower(${quoteIdentifier(child.effectiveColumn)})`].join(', ')}) where upper_inf(${quoteIdentifier(child.systemColumn)});`,
        ]),
    `create constraint trigger ${names.childTrigger} after insert on ${childTable}\n  deferrable initially deferred for each row\n  when (${columns.map((c) => `NEW.${c} is not null`).join(' and ')})\n  execute function bitemporal.check_reference_child(${childArguments});`,
    `create ${PARENT_TIMING[reference.onParentDelete]} ${names.parentTrigger} after update or delete on ${names.parentTable}\n  ${PARENT_TIMING_CLAUSE[reference.onParentDelete]}for each row\n  when (upper_inf(OLD.${quoteIdentifier(reference.table.systemColumn)}))\n  execute function bitemporal.check_reference_parent(${parentArguments});`,
  ]
}

/** Drops the triggers a child's references put on its parents (the child's own go with its table). */
export function dropReferencesSql(child: TableDefinition): string[] {
  return child.references.map((reference, index) => {
    const names = referenceSqlNames(child, reference, index)
    return `drop trigger if exists ${names.parentTrigger} on ${names.parentTable};`
  })
}
