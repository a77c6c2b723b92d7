import { InvalidInputError } from '../../errors/errors.js'
import { LIBRARY_SQLSTATE } from '../../errors/map-database-error.js'
import type { TableDefinition } from '../define-table.js'
import { quoteIdentifier, quoteLiteral, quoteQualifiedName } from '../identifier.js'
import { referenceSql } from '../reference-sql.js'
import type { ReferenceDefinition } from '../table-reference.js'

/** How many uncovered versions the refusal names; the rest are counted. */
const NAMED_VERSIONS = 5

/**
 * The statements that turn on `added`, references of `definition` that the
 * existing versions table (holding versions) did not have, in the order
 * given (docs/semantics.md §5a). Per reference: what `createTable` makes for
 * it ({@link referenceSql}: the child's partial index if its key does not
 * start with the referencing columns, the deferred trigger on the child,
 * the trigger on the parent), then a check of the versions that exist.
 *
 * The check is the rule the triggers keep from then on: in current
 * knowledge, every child version whose referencing columns are all non-null
 * lies inside the union of its parent's current versions. If a version does
 * not, the check raises SQLSTATE BT002 (`ReferenceViolationError`) naming
 * the first five such versions by key, with their effective range and the
 * part of it no parent version covers, and how many there are in all;
 * `alterTable`'s transaction then rolls back, and nothing has changed. It
 * runs after the triggers are created because creating them locks both
 * tables against writes until the transaction ends, so no write can make
 * the data it checked untrue before the triggers guard it.
 *
 * `added` are matched to `definition.references` to find their numbers (the
 * triggers and index are named after them): by identity, else by parent,
 * columns and `onParentDelete`.
 *
 * @example
 * For `contracts` (key `contract_id`) with `references: [{ table: customers, columns: { customer_id: 'customer_id' } }]`:
 * ```ts
 * turnOnReferencesSql(contracts, contracts.references)
 * ```
 * gives the three statements of `referenceSql`, then
 * ```sql
 * do $check$
 * declare
 *   uncovered text[];
 *   total bigint;
 * begin
 *   select (array_agg(u.problem order by u.n))[1:5], count(*) into uncovered, total from (
 *     select format('%s valid over %s is not covered over %s', bitemporal.describe_key(array['contract_id'], to_jsonb(c)), c."effective", c."bt$uncovered") as problem,
 *       row_number() over (order by c."contract_id", lower(c."effective")) as n
 *     from (select c.*, multirange(c."effective") - coalesce((select range_agg(p."effective") from "customers" as p
 *             where p."customer_id" = c."customer_id" and upper_inf(p."system")), '{}') as "bt$uncovered"
 *           from "contracts" as c where upper_inf(c."system") and c."customer_id" is not null) as c
 *     where not isempty(c."bt$uncovered")) as u;
 *   if total > 0 then
 *     raise exception using errcode = 'BT002', message = 'bitemporal: cannot turn on the reference from "contracts" (customer_id) to "customers" (customer_id): ' || …, hint = …;
 *   end if;
 * end
 * $check$;
 * ```
 */
export function turnOnReferencesSql(definition: TableDefinition, added: readonly ReferenceDefinition[]): string[] {
  return added.flatMap((reference) => {
    const index = referenceIndex(definition, reference)
    return [...referenceSql(definition, reference, index), referenceCheckSql(definition, reference)]
  })
}

/** The number of `reference` in `definition.references`, or an error if the definition does not have it. */
function referenceIndex(definition: TableDefinition, reference: ReferenceDefinition): number {
  const same = definition.references.indexOf(reference)
  if (same >= 0) return same
  const equal = definition.references.findIndex(
    (candidate) =>
      quoteQualifiedName(candidate.table.table) === quoteQualifiedName(reference.table.table) &&
      candidate.childColumns.join(',') === reference.childColumns.join(',') &&
      candidate.parentColumns.join(',') === reference.parentColumns.join(',') &&
      candidate.onParentDelete === reference.onParentDelete,
  )
  if (equal >= 0) return equal
  throw new InvalidInputError(
    `turnOnReferencesSql: "${definition.name}" has no reference to "${reference.table.name}" (${reference.childColumns.join(', ')}); pass references from its definition`,
  )
}

/**
 * The DO block that refuses a reference the existing versions do not keep
 * (SQLSTATE BT002), naming the uncovered versions. One statement, so a
 * preview of the change shows it.
 */
export function referenceCheckSql(child: TableDefinition, reference: ReferenceDefinition): string {
  const childTable = quoteQualifiedName(child.table)
  const parentTable = quoteQualifiedName(reference.table.table)
  const childEffective = `c.${quoteIdentifier(child.effectiveColumn)}`
  const uncoveredColumn = quoteIdentifier('bt$uncovered')
  const match = reference.childColumns
    .map((column, i) => `p.${quoteIdentifier(reference.parentColumns[i] ?? '')} = c.${quoteIdentifier(column)}`)
    .join(' and ')
  const present = reference.childColumns.map((column) => `c.${quoteIdentifier(column)} is not null`).join(' and ')
  const keyNames = `array[${child.keyColumns.map((column) => quoteLiteral(column.name)).join(', ')}]`
  const keyOrder = child.keyColumns.map((column) => `c.${quoteIdentifier(column.name)}`).join(', ')
  const what =
    `bitemporal: cannot turn on the reference from ${childTable} (${reference.childColumns.join(', ')}) ` +
    `to ${parentTable} (${reference.parentColumns.join(', ')}): `
  const hint =
    "Every current version of the child must lie inside the union of its parent's current versions. " +
    "Write the parents' validity first, or end or shorten those children, then turn the reference on. Nothing was changed."
  return `do $check$
declare
  uncovered text[];
  total bigint;
begin
  select (array_agg(u.problem order by u.n))[1:${String(NAMED_VERSIONS)}], count(*) into uncovered, total from (
    select format('%s valid over %s is not covered over %s', bitemporal.describe_key(${keyNames}, to_jsonb(c)), ${childEffective}, c.${uncoveredColumn}) as problem,
      row_number() over (order by ${keyOrder}, lower(${childEffective})) as n
    from (select c.*, multirange(${childEffective}) - coalesce((select range_agg(p.${quoteIdentifier(reference.table.effectiveColumn)}) from ${parentTable} as p
            where ${match} and upper_inf(p.${quoteIdentifier(reference.table.systemColumn)})), '{}') as ${uncoveredColumn}
          from ${childTable} as c where upper_inf(c.${quoteIdentifier(child.systemColumn)}) and ${present}) as c
    where not isempty(c.${uncoveredColumn})) as u;
  if total > 0 then
    raise exception using
      errcode = '${LIBRARY_SQLSTATE.referenceViolation}',
      message = ${quoteLiteral(what)} || format('%s current %s not covered by the parent: %s%s', total,
        case when total = 1 then 'version is' else 'versions are' end, array_to_string(uncovered, '; '),
        case when total > ${String(NAMED_VERSIONS)} then format(' (and %s more)', total - ${String(NAMED_VERSIONS)}) else '' end),
      hint = ${quoteLiteral(hint)};
  end if;
end
$check$;`
}
