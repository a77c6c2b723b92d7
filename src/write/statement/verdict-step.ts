import { keyChangedSql } from '../../schema/changed-after-sql.js'
import { reachRange } from './reach-sql.js'
import { SYSTEM_TIME, type WriteStatementParts } from './write-statement-parts.js'

/**
 * `verdict`: whether the write may go ahead, as one CASE that PostgreSQL
 * evaluates in order, so each check runs only once those before it passed
 * (the re-check only once the key's lock is held):
 *
 * 1. `busy`: another transaction holds the key's advisory lock;
 * 2. `stale`: a found version starts after this transaction's system time
 *    (a transaction that started later committed first);
 * 3. `changed`: the key is no longer as found, or a later transaction wrote
 *    it (`keyChangedSql`);
 * 4. `outdated`: `expect` was given and the key changed after it;
 * 5. the operation's refusal (`overlapping` for insert, `not_found` for correct);
 *
 * and else `ok`. It also counts the versions the write will close, which
 * the status row compares with those `closed` met.
 *
 * ```sql
 * verdict as materialized (
 *   select case
 *       when not pg_try_advisory_xact_lock(hash_record_extended(row('"tax_rates"'::regclass::oid, $1::text::integer, $2::text), 0)) then 'busy'
 *       when coalesce(bool_or(lower(f."system") > bitemporal.system_time() or …), false) then 'stale'
 *       when case when … then … else "tax_rates_changed_after"(…) end then 'changed'
 *       when $4::text is not null and $4::text::timestamptz at time zone 'UTC' < (…) then 'outdated'
 *       else 'ok' end as state,
 *     count(*) filter (where f.bt$changes and f."effective" && $3::text::daterange and not f.bt$own) as closing
 *   from found f
 * )
 * ```
 */
export function verdictStep(parts: WriteStatementParts): string {
  const { context } = parts
  const system = context.system
  const changed = keyChangedSql(context.definition, {
    key: parts.keyParameters,
    t: SYSTEM_TIME,
    reach: reachRange(parts),
    seen: 'count(*)',
    found: 'array_agg(f.bt$row)',
  })
  return `verdict as materialized (
  select case
      when not pg_try_advisory_xact_lock(${parts.keyLock}) then 'busy'
      -- A version from a transaction that started later and committed first: this
      -- write's system time would come before what it builds on.
      when coalesce(bool_or(lower(f.${system}) > ${SYSTEM_TIME} or (lower(f.${system}) = ${SYSTEM_TIME} and not f.bt$own)), false) then 'stale'
      -- With the key's lock held: is the key still as found, and has no
      -- transaction that started later written it? (See keyChangedSql.)
      when ${changed} then 'changed'${outdatedCase(parts)}${refusalCase(parts)}
      else 'ok' end as state,
    count(*) filter (where f.bt$changes and f.${context.effective} && ${parts.portion} and not f.bt$own) as closing${expectPlaceholder(parts)}
  from found f
)`
}

/** `outdated`: the key was written after the `expect` time given (none: no check at all). */
function outdatedCase(parts: WriteStatementParts): string {
  if (!parts.checksExpect) return ''
  const { table, system } = parts.context
  const expect = parts.parameters.expect
  return `
      when ${expect.as('text')} is not null and ${expect.as('timestamptz')} at time zone 'UTC' < (
        select max(greatest(lower(h.${system}), upper(h.${system}))) from ${table} as h where ${parts.keyMatches('h')}) then 'outdated'`
}

/** The operation's refusal: insert and correct write nothing when a version is in the way or none is there. */
function refusalCase(parts: WriteStatementParts): string {
  switch (parts.shape.refuses) {
    case 'overlapping':
      return `\n      when count(*) > 0 then 'overlapping'`
    case 'not_found':
      return `\n      when count(*) = 0 then 'not_found'`
    case undefined:
      return ''
  }
}

/** Without the `expect` check, the statement still names its parameter, so both variants take the same list. */
function expectPlaceholder(parts: WriteStatementParts): string {
  if (parts.checksExpect) return ''
  return `,
    -- Typed, so that both variants take the same parameters; null here.
    ${parts.parameters.expect.as('timestamptz')} as bt$expect`
}
