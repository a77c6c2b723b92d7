import { sql } from 'kysely'
import type { AnyKysely } from '../any-kysely.js'
import { InvalidInputError, OverlapError } from '../errors/errors.js'
import { mapDatabaseError } from '../errors/map-database-error.js'
import { runStatement, withoutCallerPlugins } from '../repository/database.js'
import { createTableSql } from '../schema/create-table-sql.js'
import { quoteIdentifier } from '../schema/identifier.js'
import { compatibilityViewSql } from './compatibility-view-sql.js'
import type { ConvertOptions, ConvertResult } from './convert-options.js'
import { type ConvertPlan, planConversion } from './convert-plan.js'
import { checkSql, copySql, duplicateSql } from './convert-sql.js'

/**
 * Turns a plain table (one row per entity, perhaps with `created_at` and a
 * soft-delete `deleted_at`) into a bitemporal one, in one transaction: the
 * caller's (a migration's `up(db)`), or one of its own. All or nothing.
 *
 * 1. Checks the options and the catalog ({@link ConvertOptions}): every
 *    problem is an `InvalidInputError` before anything changes.
 * 2. Locks the plain table against writes (`lock table … in exclusive
 *    mode`; readers go on) and checks its rows in one pass: null keys,
 *    missing or infinite starts, empty validity (`InvalidInputError` naming
 *    up to five keys), and in a second pass keys that appear twice
 *    (`OverlapError` naming them: the exclusion constraint would refuse
 *    their versions).
 * 3. Renames the plain table when its name is needed (`view: true`, or `to`
 *    has its name), then creates the new table ({@link createTableSql}).
 * 4. Copies each row as one version with `insert … select` on the server,
 *    a batch of pages (`ctid` ranges, a TID range scan from PostgreSQL 14)
 *    per statement, calling `onProgress` after each. Every version gets
 *    `system` `[T, )` where `T` is the transaction's time: the truth, the
 *    database learnt these facts at the conversion. Valid time: from the
 *    `effectiveFrom` column or day, to the `effectiveTo` column (open when
 *    it is null).
 * 5. With `view: true`, creates the compatibility view under the old name
 *    ({@link compatibilityViewSql}).
 *
 * Nothing is resumed half-way: an interrupted conversion rolls back, the
 * plain table is untouched, and running it again starts afresh (see
 * docs/decisions.md).
 *
 * @example
 * ```ts
 * // migrations/20260301090000_plans_bitemporal.ts
 * import { convertToBitemporal, defineTable } from 'bitemporal'
 * const planVersions = defineTable({ name: 'plan_versions', key: { id: 'integer' }, values: { name: 'text not null', price: 'numeric(10,2) not null' } })
 * export const up = (db) =>
 *   convertToBitemporal(db, { from: 'plans', to: planVersions, effectiveFrom: 'created_at', effectiveTo: 'deleted_at', view: true })
 * ```
 * sends, besides the checks, for a table of 3 pages and batches of 2:
 * ```sql
 * lock table "public"."plans" in exclusive mode;
 * alter table "public"."plans" rename to "plans_plain";
 * create table "plan_versions" (…);  -- createTableSql(planVersions)
 * with copied as (insert into "plan_versions" ("id", "name", "price", "effective")
 *   select s."id", s."name", s."price", daterange((s."created_at" at time zone 'UTC')::date, (case when … then (s."deleted_at" at time zone 'UTC')::date end), '[)')
 *   from "public"."plans_plain" as s where s.ctid >= $1::tid and s.ctid < $2::tid and true returning 1)
 * select …;                                   -- $1 = '(0,0)', $2 = '(2,0)'
 * with copied as (…) select …;                -- s.ctid >= '(2,0)', no upper bound
 * create view "public"."plans" as …;          -- compatibilityViewSql
 * ```
 */
export async function convertToBitemporal(db: AnyKysely, options: ConvertOptions): Promise<ConvertResult> {
  const run = async (trx: AnyKysely): Promise<ConvertResult> => convert(withoutCallerPlugins(trx), await planConversion(withoutCallerPlugins(trx), options), options)
  try {
    return db.isTransaction ? await run(db) : await db.transaction().execute(run)
  } catch (error) {
    throw mapDatabaseError(error)
  }
}

async function convert(db: AnyKysely, plan: ConvertPlan, options: ConvertOptions): Promise<ConvertResult> {
  // Writers wait until the conversion commits, so the copy is the table as it is at the end; readers go on.
  await runStatement(db, `lock table ${plan.source.quoted} in exclusive mode`, [])
  const { total, skipped } = await checkRows(db, plan)

  let source = plan.source.quoted
  if (plan.renameTo !== undefined) {
    await runStatement(db, `alter table ${source} rename to ${quoteIdentifier(plan.renameTo)}`, [])
    source = `${quoteIdentifier(plan.source.schema)}.${quoteIdentifier(plan.renameTo)}`
  }
  // Several statements, no parameters: one simple query.
  await sql.raw(createTableSql(plan.context.definition)).execute(db)

  let copied = 0
  let systemTime: string | null = null
  for (const [low, high] of await pageRanges(db, source, plan.batchSize, total)) {
    const statement = copySql(plan, source, low, high)
    const [row] = await runStatement(db, statement.text, statement.parameters)
    copied += Number(row?.['copied'])
    systemTime = String(row?.['system_time'])
    options.onProgress?.({ copied, total })
  }
  if (plan.view) await sql.raw(compatibilityViewSql(plan)).execute(db)
  return Object.freeze({
    systemTime: copied === 0 ? null : systemTime,
    copied,
    skipped,
    source,
    view: plan.view ? plan.source.quoted : undefined,
  })
}

/** Runs the row checks; returns the number of versions to copy and of rows left out. */
async function checkRows(db: AnyKysely, plan: ConvertPlan): Promise<{ total: number; skipped: number }> {
  const check = checkSql(plan, plan.source.quoted)
  const [row = {}] = await runStatement(db, check.text, check.parameters)
  const count = (name: string): number => Number(row[name])
  const sample = (name: string): string => {
    const keys = (row[`${name}_sample`] as string[] | null) ?? []
    return `${keys.join(', ')}${count(name) > keys.length ? ', …' : ''}`
  }
  const table = plan.source.quoted
  if (count('null_key') > 0) {
    throw new InvalidInputError(`bitemporal: convert: ${String(count('null_key'))} rows of ${table} have a null key column (${sample('null_key')}); a key is never null`)
  }
  if (count('bad_start') > 0) {
    throw new InvalidInputError(
      `bitemporal: convert: ${String(count('bad_start'))} rows of ${table} have no start of validity (effectiveFrom null or infinite): ${sample('bad_start')}; ` +
        'fix them or pass effectiveFromDefault',
    )
  }
  if (count('empty') > 0) {
    throw new InvalidInputError(
      `bitemporal: convert: ${String(count('empty'))} rows of ${table} would be valid for no time at all (effectiveTo on or before effectiveFrom): ${sample('empty')}; ` +
        "fix them or pass emptyValidity: 'skip' to leave them out",
    )
  }
  const duplicates = duplicateSql(plan, plan.source.quoted)
  const found = await runStatement(db, duplicates.text, duplicates.parameters)
  if (found.length > 0) {
    const keys = Number(found[0]?.['keys'])
    const list = found.map((d) => `${String(d['key'])} (${String(d['rows'])} rows)`).join(', ')
    throw new OverlapError(
      `bitemporal: convert: ${String(keys)} keys appear in more than one row of ${table}, and their versions would overlap: ${list}${keys > found.length ? ', …' : ''}. ` +
        'Merge or re-key those rows first, or choose a key that names one row each',
    )
  }
  return { total: count('copied'), skipped: count('total') - count('copied') }
}

/**
 * Ranges of the table's pages for batches of about `batchSize` rows:
 * `[low, high)` as `tid` text, the last one open above (rows on pages added
 * meanwhile cannot exist: writers are locked out). One range before
 * PostgreSQL 14, which cannot scan a range of pages without reading all.
 */
async function pageRanges(db: AnyKysely, source: string, batchSize: number, rows: number): Promise<[string, string | undefined][]> {
  const [row] = await runStatement(
    db,
    `select (pg_relation_size($1::regclass) / current_setting('block_size')::int)::int as pages, current_setting('server_version_num')::int >= 140000 as tid_range`,
    [source],
  )
  const pages = Number(row?.['pages'])
  if (row?.['tid_range'] !== true || pages <= 1 || rows <= batchSize) return [['(0,0)', undefined]]
  const step = Math.max(1, Math.ceil((batchSize * pages) / rows))
  const ranges: [string, string | undefined][] = []
  for (let page = 0; page < pages; page += step) {
    ranges.push([`(${String(page)},0)`, page + step >= pages ? undefined : `(${String(page + step)},0)`])
  }
  return ranges
}
