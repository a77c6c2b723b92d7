import type { AnyKysely } from '../any-kysely.js'
import { InvalidInputError, OverlapError } from '../errors/errors.js'
import { runStatement } from '../statement/run-statement.js'
import type { ConvertPlan } from './convert-plan.js'
import { checkSql, duplicateSql } from './convert-sql.js'

/**
 * Runs the row checks on the plain table (locked against writers by the
 * caller): null keys, missing or infinite starts and empty validity are an
 * {@link InvalidInputError}, keys in more than one row an
 * {@link OverlapError}, each naming up to five keys. Returns the number of
 * versions to copy and of rows left out.
 */
export async function checkSourceRows(db: AnyKysely, plan: ConvertPlan): Promise<{ total: number; skipped: number }> {
  const check = checkSql(plan, plan.source.quoted)
  const [row = {}] = await runStatement(db, check.text, check.parameters)
  const count = (name: string): number => Number(row[name])
  const sample = (name: string): string => {
    const keys = (row[`${name}_sample`] as string[] | null) ?? []
    return `${keys.join(', ')}${count(name) > keys.length ? ', …' : ''}`
  }
  const table = plan.source.quoted
  if (count('null_key') > 0) {
    throw new InvalidInputError(`convert: ${String(count('null_key'))} rows of ${table} have a null key column (${sample('null_key')}); a key is never null`)
  }
  if (count('bad_start') > 0) {
    throw new InvalidInputError(
      `convert: ${String(count('bad_start'))} rows of ${table} have no start of validity (effectiveFrom null or infinite): ${sample('bad_start')}; ` +
        'fix them or pass effectiveFromDefault',
    )
  }
  if (count('empty') > 0) {
    throw new InvalidInputError(
      `convert: ${String(count('empty'))} rows of ${table} would be valid for no time at all (effectiveTo on or before effectiveFrom): ${sample('empty')}; ` +
        "fix them or pass emptyValidity: 'skip' to leave them out",
    )
  }
  const duplicates = duplicateSql(plan, plan.source.quoted)
  const found = await runStatement(db, duplicates.text, duplicates.parameters)
  if (found.length > 0) {
    const keys = Number(found[0]?.['keys'])
    const list = found.map((d) => `${String(d['key'])} (${String(d['rows'])} rows)`).join(', ')
    throw new OverlapError(
      `convert: ${String(keys)} keys appear in more than one row of ${table}, and their versions would overlap: ${list}${keys > found.length ? ', …' : ''}. ` +
        'Merge or re-key those rows first, or choose a key that names one row each',
    )
  }
  return { total: count('copied'), skipped: count('total') - count('copied') }
}
