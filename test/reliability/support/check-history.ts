import { sql } from 'kysely'
import { bitemporal } from '../../../src/repository/bitemporal.js'
import type { Db } from './load-table.js'
import { loadTable } from './load-table.js'

/** Which tables to check: the suite's own, or copies with something planted (test of the checker). */
export interface CheckedTables {
  readonly versions: string
  readonly acks: string
}

export interface HistoryFigures {
  readonly versions: number
  readonly closedVersions: number
  readonly acknowledged: number
  readonly acknowledgedNoOps: number
  /** Acks re-read through `asOf(key, { validAt, knownAt })`, the library's own read path. */
  readonly readBack: number
}

export interface HistoryCheck {
  /** Each broken rule once, with up to a few examples; empty when all hold. */
  readonly problems: string[]
  readonly figures: HistoryFigures
}

const EXAMPLES = 3

function examples(rows: readonly Record<string, unknown>[]): string {
  return `${rows.slice(0, EXAMPLES).map((row) => JSON.stringify(row)).join('; ')}${rows.length > EXAMPLES ? ` (+${String(rows.length - EXAMPLES)} more)` : ''}`
}
/** Acks re-read through the repository on top of the SQL checks (a round trip each). */
const READ_BACK = 300

/**
 * Checks, over the whole table, that the history is exactly the acknowledged
 * writes and that the invariants of docs/semantics.md §2 hold:
 *
 * - invariants 1 and 4: no two versions of a key overlap in both times; no
 *   empty range, no unbounded system start, no row closed at or before its start;
 * - invariants 2 and 3 against the ack log: for every (key, system instant),
 *   the rows the table started and closed there are exactly what the acks of
 *   that instant reported (`inserted`, `closed`). A write that committed
 *   without its ack, an ack whose write is missing, a row deleted or closed a
 *   second time, all break this count;
 * - every version's values name an acknowledged write of that key;
 * - invariant 5: as known at its system time, the key is valid at the start
 *   of the write's portion with the write's values (absent after a delete).
 */
export async function checkHistory(db: Db, tables: CheckedTables = { versions: loadTable.name, acks: 'ack_log' }): Promise<HistoryCheck> {
  const versions = sql.table(tables.versions)
  const acks = sql.table(tables.acks)
  const problems: string[] = []
  const expectNone = async (rule: string, query: ReturnType<typeof sql<Record<string, unknown>>>): Promise<void> => {
    const { rows } = await query.execute(db)
    if (rows.length > 0) problems.push(`${rule}: ${examples(rows)}`)
  }

  await expectNone(
    'overlap (invariant 1)',
    sql`select a.id, a.effective::text as a_effective, a.system::text as a_system, b.effective::text as b_effective, b.system::text as b_system
        from ${versions} as a join ${versions} as b
          on a.id = b.id and a.ctid < b.ctid and a.effective && b.effective and a.system && b.system`,
  )
  await expectNone(
    'empty or reversed range (invariant 4)',
    sql`select id, effective::text, system::text from ${versions}
        where isempty(effective) or lower_inf(effective) or isempty(system) or lower_inf(system)
           or (not upper_inf(system) and upper(system) <= lower(system))`,
  )
  await expectNone(
    'write not at its transaction\'s system time (invariant 3)',
    sql`select worker, seq, system_time, transaction_at::text from ${acks}
        where system_at is not null and (system_at <> transaction_at or system_time <> bitemporal.format_system_time(system_at))`,
  )
  // The rows each (key, instant) started and closed, in the table and in the acks.
  const events = sql<Record<string, unknown>>`
    with in_table as (
      select id as key, at, sum(inserted)::int as inserted, sum(closed)::int as closed from (
        select id, lower(system) as at, 1 as inserted, 0 as closed from ${versions}
        union all
        select id, upper(system), 0, 1 from ${versions} where not upper_inf(system)
      ) as e group by id, at
    ), in_acks as (
      select key, system_at as at, sum(inserted)::int as inserted, sum(closed)::int as closed, string_agg(worker || '/' || seq, ',') as writes
      from ${acks} where system_at is not null group by key, system_at
    )
    select coalesce(t.key, a.key) as key, bitemporal.format_system_time(coalesce(t.at, a.at)) as at, a.writes,
           coalesce(t.inserted, 0) as table_inserted, coalesce(t.closed, 0) as table_closed,
           coalesce(a.inserted, 0) as ack_inserted, coalesce(a.closed, 0) as ack_closed
    from in_table as t full join in_acks as a on a.key = t.key and a.at = t.at
    where t.key is null or a.key is null or t.inserted <> a.inserted or t.closed <> a.closed`
  const { rows: mismatches } = await events.execute(db)
  const lost = mismatches.filter((row) => row['writes'] !== null && Number(row['table_inserted']) + Number(row['table_closed']) === 0)
  const unacknowledged = mismatches.filter((row) => row['writes'] === null)
  const differing = mismatches.filter((row) => !lost.includes(row) && !unacknowledged.includes(row))
  for (const [rule, rows] of [
    ['acknowledged write missing from history (lost)', lost],
    ['history written without an acknowledged write', unacknowledged],
    ['rows started or closed differ from what the acks reported (invariant 2)', differing],
  ] as const) {
    if (rows.length > 0) problems.push(`${rule}: ${examples(rows)}`)
  }
  await expectNone(
    'values that no acknowledged write of the key wrote',
    sql`select v.id, v.worker, v.seq, v.effective::text, v.system::text from ${versions} as v
        where not exists (select from ${acks} as a where a.key = v.id and a.value_worker = v.worker and a.value_seq = v.seq and a.system_at is not null)`,
  )
  // Reproducible history: what the key looked like right after each write.
  const { rows: unreproducible } = await sql<Record<string, unknown>>`
    select a.worker, a.seq, a.operation, a.key, a.portion_from::text, a.system_time, v.worker as found_worker, v.seq as found_seq,
           bitemporal.format_system_time(lower(v.system)) as found_since
    from ${acks} as a
    left join ${versions} as v on v.id = a.key and v.effective @> a.portion_from and v.system @> a.system_at
    where a.system_at is not null and a.operation <> 'load' and case
      when a.operation = 'delete' then v.id is not null
      when a.operation = 'update' then v.id is not null and (v.worker, v.seq) <> (a.value_worker, a.value_seq)
      when a.operation in ('insert', 'set', 'setFrom') then v.id is null or (v.worker, v.seq) <> (a.value_worker, a.value_seq) or v.amount is distinct from a.amount
      else v.id is null or (v.worker, v.seq) <> (a.value_worker, a.value_seq)
    end`.execute(db)
  // Including a gap one write left that a transaction with an earlier system
  // time filled after it committed: the write statement refuses that (stale).
  if (unreproducible.length > 0) problems.push(`state as known at a write's system time does not show the write (invariant 5): ${examples(unreproducible)}`)
  const readBack = await readBackThroughLibrary(db, tables, problems)

  const { rows } = await sql<{ versions: number; closed: number; acknowledged: number; no_ops: number }>`
    select (select count(*)::int from ${versions}) as versions,
           (select count(*)::int from ${versions} where not upper_inf(system)) as closed,
           (select count(*)::int from ${acks}) as acknowledged,
           (select count(*)::int from ${acks} where system_at is null) as no_ops`.execute(db)
  const totals = rows[0]
  return {
    problems,
    figures: {
      versions: totals?.versions ?? 0,
      closedVersions: totals?.closed ?? 0,
      acknowledged: totals?.acknowledged ?? 0,
      acknowledgedNoOps: totals?.no_ops ?? 0,
      readBack,
    },
  }
}

/** A sample of acks read back with `asOf`, so the library's read path agrees with the SQL above. */
async function readBackThroughLibrary(db: Db, tables: CheckedTables, problems: string[]): Promise<number> {
  if (tables.versions !== loadTable.name) return 0
  const { rows } = await sql<{ key: number; from: string; system_time: string; value_worker: number; value_seq: number; worker: number; seq: number }>`
    select key, portion_from::text as from, system_time, value_worker, value_seq, worker, seq from ${sql.table(tables.acks)}
    where system_at is not null and operation in ('insert', 'set', 'setFrom', 'correct')
    order by md5(worker || '/' || seq) limit ${READ_BACK}`.execute(db)
  const repository = bitemporal(db, loadTable)
  const wrong: string[] = []
  for (const ack of rows) {
    const version = await repository.asOf({ id: ack.key }, { validAt: ack.from, knownAt: ack.system_time })
    if (version?.values.worker !== ack.value_worker || version.values.seq !== ack.value_seq) {
      wrong.push(`${String(ack.worker)}/${String(ack.seq)} read ${JSON.stringify(version?.values ?? null)}`)
    }
  }
  if (wrong.length > 0) problems.push(`asOf(key, { validAt, knownAt: systemTime }) does not return the write: ${wrong.slice(0, EXAMPLES).join('; ')}`)
  return rows.length
}
