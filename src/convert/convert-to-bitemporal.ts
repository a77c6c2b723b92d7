import type { AnyKysely } from '../any-kysely.js'
import { mapDatabaseError } from '../errors/map-database-error.js'
import { runStatement, withoutCallerPlugins } from '../repository/database.js'
import { isPlainObject } from '../values/is-plain-object.js'
import { beginConversion } from './begin-conversion.js'
import { compatibilityViewSql } from './compatibility-view-sql.js'
import type { ConvertOptions, ConvertResult } from './convert-options.js'
import { type ConvertPlan, planConversion } from './convert-plan.js'
import { copySql } from './convert-sql.js'
import { pageRanges, planPages } from './page-ranges.js'
import { convertResumably } from './resumable-conversion.js'
import { runSqlStatements } from '../schema/sql-statements.js'

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
 * By default nothing is resumed half-way: an interrupted conversion rolls
 * back, the plain table is untouched, and running it again starts afresh.
 * With `resumable: true` (a Kysely instance, not a transaction), the same
 * steps run in transactions of their own: the first checks, renames,
 * creates, records the conversion in `bitemporal.conversion` and makes the
 * plain table refuse writes (`ConversionPendingError`); each batch commits
 * with its progress; the last creates the view and lets writers in again.
 * Run again with the same options, an interrupted conversion goes on from
 * the recorded page, and a finished one returns its result. Each batch's
 * versions get that batch's system time (`systemTime` to `lastSystemTime`
 * in the result). See docs/decisions.md, 55 and 68–72.
 *
 * @example
 * ```ts
 * // migrations/20260301090000_plans_bitemporal.ts
 * import { convertToBitemporal, defineTable } from 'bitemporal'
 * const planVersions = defineTable({ name: 'plan_versions', key: { id: 'integer' }, values: { name: 'text not null', price: 'numeric(10,2) not null' } })
 * export const up = (db) =>
 *   convertToBitemporal(db, { from: 'plans', to: planVersions, effectiveFrom: 'created_at', effectiveTo: 'deleted_at', view: true })
 * ```
 * sends, besides the catalog reads, for a table of 3 pages and batches of 2:
 * ```sql
 * lock table "public"."plans" in exclusive mode;
 * <the checks: checkSql, duplicateSql>;
 * alter table "public"."plans" rename to "plans_plain";
 * create table "plan_versions" (…);  -- createTableSql(planVersions)
 * with copied as (insert into "plan_versions" ("id", "name", "price", "effective")
 *   select s."id", s."name", s."price", daterange((s."created_at" at time zone 'UTC')::date, (case when … then (s."deleted_at" at time zone 'UTC')::date end), '[)')
 *   from "public"."plans_plain" as s where s.ctid >= $1::text::tid and s.ctid < $2::text::tid and true returning 1)
 * select …;                                   -- $1 = '(0,0)', $2 = '(2,0)'
 * with copied as (…) select …;                -- s.ctid >= '(2,0)', no upper bound
 * create view "public"."plans" as …;          -- compatibilityViewSql
 * ```
 * and with `resumable: true`, in a transaction to begin, one per batch and
 * one to finish (see {@link convertResumably} for the statements):
 * ```sql
 * start transaction isolation level read committed;
 *   …; lock table "public"."plans" in exclusive mode; …; alter table "public"."plans" rename to "plans_plain"; create table "plan_versions" (…); …
 *   insert into bitemporal.conversion (source, source_schema, source_name, target, options, total, skipped, pages, batch_pages, source_filenode) … returning id::text as id;
 *   create trigger bitemporal_conversion_pending before insert or update or delete or truncate on "public"."plans_plain"
 *     for each statement execute function bitemporal.refuse_pending_conversion('1', '"plan_versions"');
 *   …
 * commit;
 * start transaction isolation level read committed;   -- s.ctid >= '(0,0)' and s.ctid < '(2,0)'
 *   select c.id::text as id, … where c.id = $1::text::bigint for update of c;
 *   with copied as (…) select …;
 *   update bitemporal.conversion set next_page = next_page + batch_pages, copied = copied + $2::text::bigint, batches = batches + 1, … where id = $1::text::bigint;
 * commit;
 * …                                                   -- s.ctid >= '(2,0)'
 * start transaction isolation level read committed;
 *   select c.id::text as id, … where c.id = $1::text::bigint for update of c;
 *   create view "public"."plans" as …;
 *   drop trigger if exists bitemporal_conversion_pending on "public"."plans_plain";
 *   update bitemporal.conversion set finished_at = bitemporal.system_time() where id = $1::text::bigint;
 * commit;
 * ```
 */
export async function convertToBitemporal(db: AnyKysely, options: ConvertOptions): Promise<ConvertResult> {
  const untrusted: unknown = options
  if (isPlainObject(untrusted) && untrusted['resumable'] === true) {
    try {
      return await convertResumably(db, options)
    } catch (error) {
      throw mapDatabaseError(error)
    }
  }
  const run = async (trx: AnyKysely): Promise<ConvertResult> => convert(withoutCallerPlugins(trx), await planConversion(withoutCallerPlugins(trx), options), options)
  try {
    return db.isTransaction ? await run(db) : await db.transaction().execute(run)
  } catch (error) {
    throw mapDatabaseError(error)
  }
}

async function convert(db: AnyKysely, plan: ConvertPlan, options: ConvertOptions): Promise<ConvertResult> {
  // Writers wait until the conversion commits, so the copy is the table as it is at the end; readers go on.
  const { total, skipped, source } = await beginConversion(db, plan)
  let copied = 0
  let batches = 0
  let systemTime: string | null = null
  for (const [low, high] of pageRanges(await planPages(db, source, plan.batchSize, total))) {
    const statement = copySql(plan, source, low, high)
    const [row] = await runStatement(db, statement.text, statement.parameters)
    copied += Number(row?.['copied'])
    batches += 1
    systemTime = String(row?.['system_time'])
    options.onProgress?.({ copied, total })
  }
  if (plan.view) await runSqlStatements(db, compatibilityViewSql(plan))
  return Object.freeze({
    systemTime: copied === 0 ? null : systemTime,
    lastSystemTime: copied === 0 ? null : systemTime,
    batches,
    copied,
    skipped,
    source,
    view: plan.view ? plan.source.quoted : undefined,
  })
}
