import type { AnyKysely } from '../any-kysely.js'
import { DatabaseError } from '../errors/errors.js'
import { runStatement } from '../statement/run-statement.js'
import { quoteQualifiedName } from '../schema/identifier.js'
import type { ConvertResult } from './convert-options.js'
import type { PagePlan } from './page-ranges.js'

/** A row of `bitemporal.conversion`: one resumable conversion and how far it got. */
export interface ConversionRecord {
  readonly id: string
  /** The options it began with ({@link conversionFingerprint}). */
  readonly options: Readonly<Record<string, unknown>>
  readonly total: number
  readonly skipped: number
  readonly copied: number
  readonly pages: PagePlan
  /** The first page of the next batch; `>= pages.pages` once every batch is copied. */
  readonly nextPage: number
  readonly batches: number
  readonly firstSystemTime: string | null
  readonly lastSystemTime: string | null
  readonly startedAt: string
  readonly finished: boolean
  /** The plain table where it is now (renamed perhaps); `undefined` if it was dropped. */
  readonly sourceNow: { readonly schema: string; readonly name: string } | undefined
  /** Its schema and name when the conversion began. */
  readonly sourceBefore: { readonly schema: string; readonly name: string }
  /** The plain table's file changed since the start (VACUUM FULL, CLUSTER, a rewriting ALTER TABLE): its rows may be on other pages. */
  readonly rewritten: boolean
}

const SELECT = `select c.id::text as id, c.options, c.total::float8 as total, c.skipped::float8 as skipped, c.copied::float8 as copied,
  c.pages, c.batch_pages, c.next_page, c.batches,
  bitemporal.format_system_time(c.first_system_time) as first_system_time, bitemporal.format_system_time(c.last_system_time) as last_system_time,
  bitemporal.format_system_time(c.started_at) as started_at, c.finished_at is not null as finished,
  n.nspname as schema_now, s.relname as name_now, c.source_schema, c.source_name,
  pg_relation_filenode(s.oid) is distinct from c.source_filenode as rewritten
from bitemporal.conversion c left join pg_class s on s.oid = c.source left join pg_namespace n on n.oid = s.relnamespace`

function toRecord(row: Readonly<Record<string, unknown>>): ConversionRecord {
  // Text columns: pg gives strings or null.
  const text = (name: string): string | null => (row[name] as string | null | undefined) ?? null
  return Object.freeze({
    id: String(row['id']),
    options: row['options'] as Record<string, unknown>,
    total: Number(row['total']),
    skipped: Number(row['skipped']),
    copied: Number(row['copied']),
    pages: Object.freeze({ pages: Number(row['pages']), step: Number(row['batch_pages']) }),
    nextPage: Number(row['next_page']),
    batches: Number(row['batches']),
    firstSystemTime: text('first_system_time'),
    lastSystemTime: text('last_system_time'),
    startedAt: String(row['started_at']),
    finished: row['finished'] === true,
    sourceNow: text('name_now') === null ? undefined : Object.freeze({ schema: text('schema_now') ?? '', name: text('name_now') ?? '' }),
    sourceBefore: Object.freeze({ schema: text('source_schema') ?? '', name: text('source_name') ?? '' }),
    rewritten: row['rewritten'] === true,
  })
}

/** The latest conversion into `target` (a quoted table name, resolved like `createTable` resolves it), if there is one. */
export async function findConversion(db: AnyKysely, target: string): Promise<ConversionRecord | undefined> {
  const [row] = await runStatement(db, `${SELECT}\nwhere c.target = to_regclass($1::text) order by c.id desc limit 1`, [target])
  return row === undefined ? undefined : toRecord(row)
}

/** Conversion `id`, locked until the end of the transaction: a second process waits here, then sees the first one's progress. */
export async function lockConversion(db: AnyKysely, id: string): Promise<ConversionRecord> {
  const [row] = await runStatement(db, `${SELECT}\nwhere c.id = $1::text::bigint for update of c`, [id])
  if (row === undefined) throw new DatabaseError(`convert: conversion ${id} is gone from bitemporal.conversion`)
  return toRecord(row)
}

/** What a resumable conversion reports, from its record. */
export function conversionResult(record: ConversionRecord, view: boolean): ConvertResult {
  return Object.freeze({
    systemTime: record.firstSystemTime,
    lastSystemTime: record.lastSystemTime,
    batches: record.batches,
    copied: record.copied,
    skipped: record.skipped,
    source: quoteQualifiedName(record.sourceNow ?? record.sourceBefore),
    view: view ? quoteQualifiedName(record.sourceBefore) : undefined,
  })
}
