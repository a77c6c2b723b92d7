import type { WriteStatementParts } from './write-statement-parts.js'

/**
 * `portion`, for the operations whose portion depends on the versions found
 * (`PortionSource` in write-operations.ts); `undefined` where the portion is the target
 * parameter itself. `set` without `to` runs to the end of the version that
 * covers `from` or, in a gap, to the start of the next version (unbounded
 * when there is none); `correct` covers its version.
 *
 * ```sql
 * portion as (
 *   select daterange($3::text::date, case
 *         when exists (select 1 from found l where l."effective" @> $3::text::date) then (select upper(l."effective") from found l where l."effective" @> $3::text::date)
 *         else (select min(lower(l."effective")) from found l where lower(l."effective") > $3::text::date) end, '[)') as bt$range
 * )
 * ```
 */
export function portionStep(parts: WriteStatementParts): string | undefined {
  const { target } = parts
  const { effective, rangeType } = parts.context
  switch (parts.shape.portion) {
    case 'target':
      return undefined
    case 'foundVersion':
      return portionAs(`select (select l.${effective} from found l) as bt$range`)
    case 'toNextChange':
      return portionAs(`select ${rangeType}(${target}, case
        when exists (select 1 from found l where l.${effective} @> ${target}) then (select upper(l.${effective}) from found l where l.${effective} @> ${target})
        else (select min(lower(l.${effective})) from found l where lower(l.${effective}) > ${target}) end, '[)') as bt$range`)
  }
}

function portionAs(select: string): string {
  return `portion as (
  ${select}
)`
}
