import type { AnyKysely } from '../any-kysely.js'
import { runStatement } from '../statement/run-statement.js'

/**
 * How a table is read in batches of heap pages by `ctid` range (a TID range
 * scan from PostgreSQL 14): its pages when the reading began, and pages per
 * batch. A conversion cuts the plain table so; `bitemporal check` reads a
 * versions table so.
 */
export interface PagePlan {
  readonly pages: number
  readonly step: number
}

/**
 * The page plan for batches of about `batchSize` of `rows` rows: one batch
 * (`{ pages: 1, step: 1 }`) for a table of one page or fewer rows than a
 * batch, and before PostgreSQL 14, which cannot scan a range of pages
 * without reading all. Rows on pages added later cannot exist: writers are
 * locked out (or refused, when resumable), and the last range is open above.
 */
export async function planPages(db: AnyKysely, source: string, batchSize: number, rows: number): Promise<PagePlan> {
  const [row] = await runStatement(
    db,
    `select (pg_relation_size($1::text::regclass) / current_setting('block_size')::int)::int as pages, current_setting('server_version_num')::int >= 140000 as tid_range`,
    [source],
  )
  const pages = Number(row?.['pages'])
  if (row?.['tid_range'] !== true || pages <= 1 || rows <= batchSize) return Object.freeze({ pages: 1, step: 1 })
  return Object.freeze({ pages, step: Math.max(1, Math.ceil((batchSize * pages) / rows)) })
}

/** The batch that starts at `page`: `[low, high)` as `tid` text, `high` undefined for the last one. */
export function pageRange(plan: PagePlan, page: number): [string, string | undefined] {
  return [`(${String(page)},0)`, page + plan.step >= plan.pages ? undefined : `(${String(page + plan.step)},0)`]
}

/** Every batch of the plan, in page order. */
export function pageRanges(plan: PagePlan): [string, string | undefined][] {
  const ranges: [string, string | undefined][] = []
  for (let page = 0; page < plan.pages; page += plan.step) ranges.push(pageRange(plan, page))
  return ranges
}
