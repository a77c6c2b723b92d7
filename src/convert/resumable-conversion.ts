import type { AnyKysely } from '../any-kysely.js'
import { DatabaseError, InvalidInputError } from '../errors/errors.js'
import { runStatement, withoutCallerPlugins } from '../statement/run-statement.js'
import { quoteLiteral, quoteQualifiedName } from '../schema/identifier.js'
import { beginConversion } from './begin-conversion.js'
import { checkConvertOptions } from './check-convert-options.js'
import { compatibilityViewSql } from './compatibility-view-sql.js'
import { conversionFingerprint, fingerprintDifferences } from './conversion-fingerprint.js'
import { type ConversionRecord, conversionResult, findConversion, lockConversion } from './conversion-record.js'
import type { ConvertOptions, ConvertResult } from './convert-options.js'
import { type ConvertPlan, planConversion } from './convert-plan.js'
import { copySql } from './convert-sql.js'
import { pageRange, planPages } from './page-ranges.js'
import { runSqlStatements } from '../schema/sql-statements.js'

/** The trigger that refuses writes to the plain table while a conversion is pending. */
const PENDING_TRIGGER = 'bitemporal_conversion_pending'

/**
 * `convertToBitemporal(db, { …, resumable: true })`: the conversion in
 * transactions of its own, recorded in `bitemporal.conversion` so that a
 * run again goes on where an interrupted one stopped.
 *
 * 1. Start (one transaction, under an advisory lock on the target's name so
 *    that two processes cannot both start it): finds the conversion into
 *    `to` if there is one, and then only checks that the options are the
 *    same. Else it checks everything the one-transaction mode checks, with
 *    the same errors, begins the conversion ({@link beginConversion}),
 *    records it with its page plan, and puts a trigger on the plain table
 *    that refuses writes until the end (SQLSTATE BT003).
 * 2. Each batch (one transaction): locks the record, copies the next page
 *    range, advances the record; commits, then calls `onProgress`.
 * 3. Finish (one transaction): the view, the trigger dropped, `finished_at`.
 *
 * ```sql
 * start transaction isolation level read committed;
 *   select pg_advisory_xact_lock(hashtextextended($1::text, 0)), to_regclass('bitemporal.conversion') is not null as installed;
 *   select c.id::text as id, … from bitemporal.conversion c … where c.target = to_regclass($1::text) order by c.id desc limit 1;
 *   <the checks>; lock table "public"."plans" in exclusive mode; …; alter table "public"."plans" rename to "plans_plain"; create table "plan_versions" (…); …
 *   insert into bitemporal.conversion (source, source_schema, source_name, target, options, total, skipped, pages, batch_pages, source_filenode) … returning id::text as id;
 *   create trigger bitemporal_conversion_pending before insert or update or delete or truncate on "public"."plans_plain"
 *     for each statement execute function bitemporal.refuse_pending_conversion('1', '"plan_versions"');
 *   select c.id::text as id, … where c.id = $1::text::bigint for update of c;
 * commit;
 * start transaction isolation level read committed;   -- one per batch
 *   select c.id::text as id, … where c.id = $1::text::bigint for update of c;
 *   with copied as (insert … where s.ctid >= $1::text::tid and s.ctid < $2::text::tid and true returning 1) select …;
 *   update bitemporal.conversion set next_page = next_page + batch_pages, copied = copied + $2::text::bigint, batches = batches + 1, … where id = $1::text::bigint;
 * commit;
 * …
 * start transaction isolation level read committed;
 *   select c.id::text as id, … where c.id = $1::text::bigint for update of c;
 *   create view "public"."plans" as …;
 *   drop trigger if exists bitemporal_conversion_pending on "public"."plans_plain";
 *   update bitemporal.conversion set finished_at = bitemporal.system_time() where id = $1::text::bigint;
 * commit;
 * ```
 */
export async function convertResumably(db: AnyKysely, options: ConvertOptions): Promise<ConvertResult> {
  const checked = checkConvertOptions(options)
  const candidate = db as Partial<AnyKysely> | null
  if (typeof candidate?.transaction !== 'function' || candidate.isTransaction === true) {
    throw new InvalidInputError(
      'convert: resumable: true commits each batch in a transaction of its own, so db must be a Kysely instance, not a transaction. ' +
        'Run it outside the migration\'s transaction (a script or job, see docs/recipes/existing-plain-table-to-bitemporal.md), or leave resumable out to convert in this transaction, all or nothing',
    )
  }
  const database = withoutCallerPlugins(db)
  // Read committed whatever the server's default: after waiting for a lock, the next statement must see what the other process committed.
  const inTransaction = <T>(run: (trx: AnyKysely) => Promise<T>): Promise<T> => database.transaction().setIsolationLevel('read committed').execute(run)
  const fingerprint = conversionFingerprint(checked, options)
  let record = await inTransaction(async (trx) => {
    const [lock] = await runStatement(
      trx,
      `select pg_advisory_xact_lock(hashtextextended($1::text, 0)), to_regclass('bitemporal.conversion') is not null as installed`,
      [`bitemporal.conversion ${checked.context.table}`],
    )
    if (lock?.['installed'] !== true) {
      throw new InvalidInputError('convert: resumable conversions need the library\'s SQL 0006 (bitemporal.conversion); run install(db), which applies what is new')
    }
    const found = await findConversion(trx, checked.context.table)
    if (found === undefined) return start(trx, options, fingerprint)
    const differences = fingerprintDifferences(found.options, fingerprint)
    if (differences.length > 0) {
      throw new InvalidInputError(
        `convert: conversion ${found.id} into ${checked.context.table} (started ${found.startedAt}${found.finished ? ', finished' : ''}) began with other options: ${differences.join('; ')}. ` +
          'Run it with the options it began with' + (found.finished ? '' : ' to finish it'),
      )
    }
    return found
  })
  if (record.finished) return conversionResult(record, checked.view)
  const plan = await planConversion(database, options, { now: sourceOf(record), before: record.sourceBefore })
  for (;;) {
    const copied = await inTransaction((trx) => copyNextBatch(trx, plan, record.id))
    if (copied === undefined) break
    record = copied
    options.onProgress?.({ copied: record.copied, total: record.total })
  }
  record = await inTransaction((trx) => finish(trx, plan, record.id))
  return conversionResult(record, checked.view)
}

/** Begins a new conversion and records it; the plain table refuses writes from its commit on. */
async function start(trx: AnyKysely, options: ConvertOptions, fingerprint: Readonly<Record<string, unknown>>): Promise<ConversionRecord> {
  const plan = await planConversion(trx, options)
  if (plan.source.partitioned) {
    throw new InvalidInputError(`convert: ${plan.source.quoted} is partitioned: it is copied in one batch, and writes to its partitions could not be refused between transactions; convert it without resumable`)
  }
  const begun = await beginConversion(trx, plan)
  const pages = await planPages(trx, begun.source, plan.batchSize, begun.total)
  const [row] = await runStatement(
    trx,
    `insert into bitemporal.conversion (source, source_schema, source_name, target, options, total, skipped, pages, batch_pages, source_filenode)
     values ($1::text::regclass, $2::text, $3::text, to_regclass($4::text), $5::text::jsonb, $6::text::bigint, $7::text::bigint, $8::text::integer, $9::text::integer, pg_relation_filenode($1::text::regclass))
     returning id::text as id`,
    [begun.source, plan.source.schema, plan.source.name, plan.context.table, JSON.stringify(fingerprint), String(begun.total), String(begun.skipped), String(pages.pages), String(pages.step)],
  )
  const id = String(row?.['id'])
  await runStatement(
    trx,
    `create trigger ${PENDING_TRIGGER} before insert or update or delete or truncate on ${begun.source}
     for each statement execute function bitemporal.refuse_pending_conversion(${quoteLiteral(id)}, ${quoteLiteral(plan.context.table)})`,
    [],
  )
  return lockConversion(trx, id)
}

/** The plain table of a conversion, where it is now. */
function sourceOf(record: ConversionRecord): { readonly schema: string; readonly name: string } {
  if (record.sourceNow === undefined) {
    throw new DatabaseError(`convert: the plain table ${quoteQualifiedName(record.sourceBefore)} of conversion ${record.id} was dropped before the conversion finished`)
  }
  return record.sourceNow
}

/** Copies the next page range and records it, in `trx`; `undefined` when no batch is left (perhaps copied by another process). */
async function copyNextBatch(trx: AnyKysely, plan: ConvertPlan, id: string): Promise<ConversionRecord | undefined> {
  const record = await lockConversion(trx, id)
  if (record.finished || record.nextPage >= record.pages.pages) return undefined
  const source = quoteQualifiedName(sourceOf(record))
  if (record.rewritten) {
    throw new DatabaseError(
      `convert: ${source} was rewritten (VACUUM FULL, CLUSTER or ALTER TABLE) after conversion ${record.id} began, so its rows may have moved between the pages ` +
        'the conversion copies by; it cannot be finished. Drop the new table, delete the conversion\'s row from bitemporal.conversion and its trigger from the plain table, and convert again',
    )
  }
  const [low, high] = pageRange(record.pages, record.nextPage)
  const statement = copySql(plan, source, low, high)
  const [row] = await runStatement(trx, statement.text, statement.parameters)
  const copied = Number(row?.['copied'])
  const systemTime = String(row?.['system_time'])
  await runStatement(
    trx,
    `update bitemporal.conversion set next_page = next_page + batch_pages, copied = copied + $2::text::bigint, batches = batches + 1,
       first_system_time = case when $2::text::bigint > 0 then coalesce(first_system_time, bitemporal.system_time()) else first_system_time end,
       last_system_time = case when $2::text::bigint > 0 then bitemporal.system_time() else last_system_time end
     where id = $1::text::bigint`,
    [id, String(copied)],
  )
  return Object.freeze({
    ...record,
    nextPage: record.nextPage + record.pages.step,
    copied: record.copied + copied,
    batches: record.batches + 1,
    firstSystemTime: copied > 0 ? (record.firstSystemTime ?? systemTime) : record.firstSystemTime,
    lastSystemTime: copied > 0 ? systemTime : record.lastSystemTime,
  })
}

/** Creates the view, lets writers at the plain table again (they now meet the view or the renamed table) and marks the conversion finished. */
async function finish(trx: AnyKysely, plan: ConvertPlan, id: string): Promise<ConversionRecord> {
  const record = await lockConversion(trx, id)
  if (record.finished) return record
  if (record.nextPage < record.pages.pages) throw new DatabaseError(`convert: conversion ${id} has batches left to copy; run it again`)
  if (plan.view) await runSqlStatements(trx, compatibilityViewSql(plan))
  await runStatement(trx, `drop trigger if exists ${PENDING_TRIGGER} on ${quoteQualifiedName(sourceOf(record))}`, [])
  await runStatement(trx, 'update bitemporal.conversion set finished_at = bitemporal.system_time() where id = $1::text::bigint', [id])
  return Object.freeze({ ...record, finished: true })
}
