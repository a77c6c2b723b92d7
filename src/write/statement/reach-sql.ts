import type { WriteStatementParts } from './write-statement-parts.js'

/**
 * The condition on a version `t` that puts it in the write's reach: the
 * current versions `found` reads. Spelled with bounds rather than range
 * operators so that the partial btree index of current rows by
 * (key, lower(effective)) serves them (effective is always `[from, to)`).
 *
 * ```sql
 * -- update, set, insert, delete: versions overlapping the target range
 * lower(t."effective") < coalesce(upper($3::text::daterange), 'infinity') and (upper_inf(t."effective") or upper(t."effective") > lower($3::text::daterange))
 * -- set without `to`: versions ending after the point
 * (upper_inf(t."effective") or upper(t."effective") > $3::text::date)
 * -- correct: the version covering the point
 * lower(t."effective") <= $3::text::date and (upper_inf(t."effective") or upper(t."effective") > $3::text::date)
 * ```
 */
export function reachCondition(parts: WriteStatementParts): string {
  const { target } = parts
  const effective = parts.context.effective
  const endsAfter = (point: string): string => `(upper_inf(t.${effective}) or upper(t.${effective}) > ${point})`
  switch (parts.shape.reach) {
    case 'from':
      return endsAfter(target)
    case 'point':
      return `lower(t.${effective}) <= ${target} and ${endsAfter(target)}`
    case 'range':
      return `lower(t.${effective}) < coalesce(upper(${target}), 'infinity') and ${endsAfter(`lower(${target})`)}`
  }
}

/**
 * The valid time `found` reaches, as one range: what the re-check of the
 * verdict (`keyChangedSql`) looks at again.
 *
 * ```sql
 * $3::text::daterange                      -- a range target
 * daterange($3::text::date, null, '[)')    -- set without `to`
 * daterange($3::text::date, $3::text::date, '[]') -- correct
 * ```
 */
export function reachRange(parts: WriteStatementParts): string {
  const { target } = parts
  const rangeType = parts.context.rangeType
  switch (parts.shape.reach) {
    case 'from':
      return `${rangeType}(${target}, null, '[)')`
    case 'point':
      return `${rangeType}(${target}, ${target}, '[]')`
    case 'range':
      return target
  }
}
