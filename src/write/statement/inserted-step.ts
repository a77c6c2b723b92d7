import { AUDIT } from '../../repository/table-sql-context.js'
import { VERDICT_OK, type WriteStatementParts } from './write-statement-parts.js'

/**
 * `inserted`: the rows that replace what the write closed or removed — the
 * leftovers of each replaced version before and after the portion, and
 * the operation's own rows inside it (`InsideRows` in write-operations.ts) — skipping empty
 * ranges, and only when the verdict is `ok`. On audited tables each row
 * records who wrote it and why.
 *
 * ```sql
 * inserted as (
 *   insert into "tax_rates" ("state_id", "tax_type", "rate", "effective")
 *   select n.*
 *   from (
 *   select c."state_id", c."tax_type", c."rate", c."effective" * daterange(null, lower($3::text::daterange), '[)') from replaced c where lower(c."effective") < lower($3::text::daterange)
 *   union all
 *   select c."state_id", c."tax_type", c."rate", c."effective" * daterange(upper($3::text::daterange), null, '[)') from replaced c where not upper_inf($3::text::daterange) and (upper_inf(c."effective") or upper(c."effective") > upper($3::text::daterange))
 *   union all
 *   select c."state_id", c."tax_type", c.bt$new_0, c."effective" * $3::text::daterange from replaced c
 *   ) as n ("state_id", "tax_type", "rate", bt$range)
 *   where (select v.state = 'ok' from verdict v) and not isempty(n.bt$range)
 *   returning 1
 * )
 * ```
 */
export function insertedStep(parts: WriteStatementParts): string {
  const { table, effective } = parts.context
  const audit = parts.parameters.audit
  const columns = [...parts.keyColumns, ...parts.valueColumns]
  const auditColumns = audit === undefined ? '' : `, ${AUDIT.recordedBy}, ${AUDIT.recordedReason}`
  const auditValues = audit === undefined ? '' : `, ${audit.actor.as('text')}, ${audit.reason.as('text')}`
  const rows = [...leftoverRows(parts), insideRows(parts)].filter((rows) => rows !== undefined)
  return `inserted as (
  insert into ${table} (${[...columns, effective].join(', ')}${auditColumns})
  select n.*${auditValues}
  from (
  ${rows.join('\n  union all\n  ')}
  ) as n (${columns.join(', ')}, bt$range)
  where ${VERDICT_OK} and not isempty(n.bt$range)
  returning 1
)`
}

/**
 * The parts of each replaced version before and after the portion, with
 * its old values. Each comes from a replaced row, so it is inserted after
 * its version was closed.
 */
function leftoverRows(parts: WriteStatementParts): string[] {
  if (!parts.shape.keepsLeftovers) return []
  const { effective, rangeType } = parts.context
  const { portion } = parts
  const oldValues = [...parts.keyColumns, ...parts.valueColumns].map((column) => `c.${column}`).join(', ')
  const leftover = (piece: string, condition: string): string =>
    `select ${oldValues}, ${piece} from ${parts.replacedRows} c where ${condition}`
  return [
    leftover(`c.${effective} * ${rangeType}(null, lower(${portion}), '[)')`, `lower(c.${effective}) < lower(${portion})`),
    leftover(
      `c.${effective} * ${rangeType}(upper(${portion}), null, '[)')`,
      `not upper_inf(${portion}) and (upper_inf(c.${effective}) or upper(c.${effective}) > upper(${portion}))`,
    ),
  ]
}

/**
 * The operation's rows inside the portion. Patched rows come from the
 * versions replaced; `set` fills the portion, across versions and gaps,
 * so it first waits for every close (`after_close`).
 */
function insideRows(parts: WriteStatementParts): string | undefined {
  const { effective, multirangeType } = parts.context
  const { portion, replacedRows } = parts
  const writtenValues = [...parts.keyParameters, ...parts.parameters.values.map((column) => parts.newValue(column, ''))].join(', ')
  const patchedValues = [...parts.keyColumns, ...parts.parameters.values.map((column) => `bt$new_${String(column.index)}`)]
    .map((column) => `c.${column}`)
    .join(', ')
  switch (parts.shape.inside) {
    case 'none':
      return undefined
    case 'newVersion':
      return `select ${writtenValues}, ${portion}`
    case 'fillPortion':
      return `select ${writtenValues}, piece
    from unnest(${multirangeType}(${portion}) - coalesce(
      (select range_agg(l.${effective}) from found l where not l.bt$changes), '{}'::${multirangeType})) as piece,
      (select count(*) from ${replacedRows}) as after_close`
    case 'patchedInPortion':
      return `select ${patchedValues}, c.${effective} * ${portion} from ${replacedRows} c`
    case 'patchedVersion':
      return `select ${patchedValues}, c.${effective} from ${replacedRows} c`
  }
}
