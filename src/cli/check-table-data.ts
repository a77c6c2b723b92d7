import { CompiledQuery, sql } from 'kysely'
import type { AnyKysely } from '../any-kysely.js'
import { AUDIT_COLUMNS, type TableDefinition } from '../schema/define-table.js'
import { quoteIdentifier } from '../schema/identifier.js'
import { tableSqlNames } from '../schema/table-sql-names.js'
import { auditedSinceConstraint } from '../schema/alter-table/turn-on-audit-sql.js'
import type { CheckProgress } from './check-progress.js'
import { pageRanges } from '../convert/page-ranges.js'

/** Heap pages per statement of the row checks: about 8 MB, a progress step of a second or less. */
export const CHUNK_PAGES = 1024

/** The size of a table, from the catalog, before its rows are read. */
export interface TableSize {
  /** Heap pages now. */
  readonly pages: number
  /** The planner's row estimate, or -1 when the table was never analysed. */
  readonly estimatedRows: number
}

/** Pages and estimated rows of the table with OID `oid`, without reading it. */
export async function tableSize(db: AnyKysely, oid: string): Promise<TableSize> {
  const { rows } = await sql<{ pages: string; estimated_rows: number }>`
    select (pg_catalog.pg_relation_size(c.oid) / current_setting('block_size')::bigint)::text as pages, c.reltuples::float8 as estimated_rows
    from pg_catalog.pg_class c where c.oid = ${oid}::oid`.execute(db)
  return { pages: Number(rows[0]?.pages ?? 0), estimatedRows: rows[0]?.estimated_rows ?? -1 }
}

/** How many steps {@link checkTableData} takes for a table of `pages` pages: the row chunks, then the current versions. */
export function dataCheckSteps(pages: number, chunkPages = CHUNK_PAGES): number {
  return Math.max(1, Math.ceil(pages / chunkPages)) + 1
}

/** What {@link checkTableData} found. */
export interface DataCheck {
  readonly rows: number
  readonly problems: readonly string[]
}

interface ChunkRow {
  readonly rows: string
  readonly empty_effective: string
  readonly malformed_effective: string
  readonly empty_system: string
  readonly malformed_system: string
  readonly future_system: string
  readonly unattributed_close: string
  /** One offending key per kind, as JSON text. */
  readonly examples: string | null
}

/** What the row checks count, and how each is reported. */
const ROW_CHECKS = [
  ['empty_effective', 'with an empty effective range (invariant 4)'],
  ['malformed_effective', 'with an effective range that is not [finite start, end)'],
  ['empty_system', 'with an empty system range: closed by the transaction that inserted them, or upper before lower (invariant 4)'],
  ['malformed_system', 'with a system range that is not [start, end)'],
  ['future_system', 'with a system time after the database clock (written around the library, or the clock went back; writes on their keys will fail)'],
  ['unattributed_close', `closed without ${AUDIT_COLUMNS.closedBy} on an audited table (closed around the library)`],
] as const

/**
 * The data checks of one table, in the caller's REPEATABLE READ snapshot
 * (so the clock read first bounds every system time the checks can see):
 *
 * 1. Every row's ranges are what the CHECK constraints demand, evaluated
 *    again so a dropped or `NOT VALID` constraint cannot hide a bad row:
 *    effective and system not empty (a close at the inserting transaction's
 *    own time, or upper before lower, gives an empty system range),
 *    effective `[finite, finite or unbounded)`, system `[start, …)` without
 *    an included end.
 * 2. No system bound later than the database clock.
 * 3. On audited tables, every closed row says who closed it.
 * 4. For each key, the current versions do not overlap in effective time:
 *    sorted by effective start, each ends before the next begins (if any two
 *    overlap, some two neighbours do).
 *
 * Past knowledge is not scanned pairwise: overlaps there are what the
 * exclusion constraint rules out, which `checkTableStructure` verifies,
 * and re-adding a dropped constraint makes PostgreSQL check every row.
 * Rows are read in chunks of `chunkPages` heap pages by ctid range, one
 * progress step each, so a large table shows progress.
 *
 * Must be the first statement of its transaction: the clock is read after
 * the snapshot is taken.
 *
 * @returns the rows read and one message per kind of problem, with a count and an example key.
 */
export async function checkTableData(
  trx: AnyKysely,
  definition: TableDefinition,
  pages: number,
  progress: CheckProgress,
  chunkPages = CHUNK_PAGES,
): Promise<DataCheck> {
  const table = tableSqlNames(definition).table
  const effective = quoteIdentifier(definition.effectiveColumn)
  const system = quoteIdentifier(definition.systemColumn)
  const keys = definition.keyColumns.map((column) => quoteIdentifier(column.name))
  // Key names are validated identifiers, so they can stand as JSON field names in SQL literals.
  const keyJson = (alias: string): string => `jsonb_build_object(${definition.keyColumns.map((c, i) => `'${c.name}', ${alias}.${keys[i] ?? ''}`).join(', ')})::text`
  const { rows: clock } = await sql<{ now: string }>`select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') as now`.execute(trx)
  const now = clock[0]?.now ?? ''

  const conditions: Readonly<Record<(typeof ROW_CHECKS)[number][0], string>> = {
    empty_effective: `isempty(t.${effective})`,
    malformed_effective: `not isempty(t.${effective}) and (lower_inf(t.${effective}) or not isfinite(lower(t.${effective})) or not lower_inc(t.${effective}) or upper_inc(t.${effective}) or (not upper_inf(t.${effective}) and not isfinite(upper(t.${effective}))))`,
    empty_system: `isempty(t.${system})`,
    malformed_system: `not isempty(t.${system}) and (lower_inf(t.${system}) or not lower_inc(t.${system}) or upper_inc(t.${system}))`,
    future_system: `(lower(t.${system}) > $1::timestamp or upper(t.${system}) > $1::timestamp)`,
    unattributed_close: definition.audit
      ? `not upper_inf(t.${system}) and t.${quoteIdentifier(AUDIT_COLUMNS.closedBy)} is null and upper(t.${system}) > ${auditedSinceSql(definition)}`
      : 'false',
  }
  const counts = ROW_CHECKS.map(([name]) => `count(*) filter (where ${conditions[name]})::text as ${name}`)
  const examples = ROW_CHECKS.map(([name]) => `'${name}', (array_agg(${keyJson('t')}) filter (where ${conditions[name]}))[1]`)
  const chunkSql = `select count(*)::text as rows, ${counts.join(', ')}, json_build_object(${examples.join(', ')})::text as examples
    from ${table} as t where t.ctid >= $2::tid and ($3::tid is null or t.ctid < $3::tid)`

  const totals = new Map<string, number>()
  const found = new Map<string, string>()
  // The last chunk is open-ended: rows on pages added since the size was read are checked too.
  for (const [low, high] of pageRanges({ pages: Math.max(1, pages), step: chunkPages })) {
    const result = await trx.executeQuery<ChunkRow>(CompiledQuery.raw(chunkSql, [now, low, high ?? null]))
    const row = result.rows[0]
    const chunkExamples = JSON.parse(row?.examples ?? '{}') as Record<string, string | null>
    totals.set('rows', (totals.get('rows') ?? 0) + Number(row?.rows ?? 0))
    for (const [name] of ROW_CHECKS) {
      totals.set(name, (totals.get(name) ?? 0) + Number(row?.[name] ?? 0))
      const example = chunkExamples[name]
      if (!found.has(name) && example !== null && example !== undefined) found.set(name, example)
    }
    progress.advance()
  }

  const problems = ROW_CHECKS.filter(([name]) => (totals.get(name) ?? 0) > 0).map(
    ([name, what]) => `${String(totals.get(name))} ${totals.get(name) === 1 ? 'row' : 'rows'} ${what}, e.g. key ${found.get(name) ?? '?'}`,
  )

  const overlapSql = `select count(*)::text as overlaps, (array_agg(${keyJson('x')}))[1] as example from (
      select ${keys.map((k) => `t.${k}`).join(', ')}, t.${effective} as bt_effective,
        lag(t.${effective}) over (partition by ${keys.map((k) => `t.${k}`).join(', ')} order by lower(t.${effective})) as bt_previous
      from ${table} as t where upper_inf(t.${system})
    ) as x where x.bt_previous && x.bt_effective`
  const overlap = (await trx.executeQuery<{ overlaps: string; example: string | null }>(CompiledQuery.raw(overlapSql))).rows[0]
  const overlaps = Number(overlap?.overlaps ?? 0)
  if (overlaps > 0) {
    problems.push(`${String(overlaps)} current ${overlaps === 1 ? 'version overlaps' : 'versions overlap'} the previous current version of their key in effective time (invariant 1), e.g. key ${overlap?.example ?? '?'}`)
  }
  progress.advance()
  return { rows: totals.get('rows') ?? 0, problems }
}

/**
 * When audit was turned on for a table created without it: the instant in
 * its check `"<table>_audited_since"` (docs/semantics.md §5a), or
 * `-infinity` for a table created with audit. Versions closed before then
 * were closed before anyone recorded who closed them. The constant is read
 * back from the check's definition; PostgreSQL prints it and this session
 * reads it under the same DateStyle.
 */
function auditedSinceSql(definition: TableDefinition): string {
  const names = tableSqlNames(definition)
  const constraint = auditedSinceConstraint(definition)
  if (constraint === undefined) return `'-infinity'::timestamp`
  return `coalesce((select (regexp_match(pg_catalog.pg_get_constraintdef(c.oid), '''([^'']*)''::timestamp'))[1]::timestamp
      from pg_catalog.pg_constraint c where c.conrelid = ${names.tableLiteral}::regclass and c.conname = '${constraint}'), '-infinity'::timestamp)`
}

