import type { TableDefinition } from './define-table.js'
import { quoteIdentifier, quoteQualifiedName } from './identifier.js'
import { tableSqlNames } from './table-sql-names.js'

/**
 * A function of each versions table that a write calls once it holds the
 * key's advisory lock, to see the key as the database is NOW, not as the
 * write statement's snapshot saw it. It answers whether anything the write
 * decided from its snapshot no longer holds (docs/semantics.md invariant 5, §6):
 *
 * - a version of the key started or closed after `t` (the write's system
 *   time): a transaction that started later has already written the key, and
 *   writing at the earlier time would change what was known at that later time;
 * - the current versions overlapping the write's reach are not exactly the
 *   row versions the statement found (`seen` of them, at `found`): one was
 *   closed, or one was added, by a writer that committed after the
 *   statement's snapshot was taken, and the write would act on rows that are
 *   gone or around rows it never saw. A row version keeps its `ctid` while
 *   any snapshot can see it, so equal sets of `ctid`s mean equal rows.
 *
 * Under REPEATABLE READ and SERIALIZABLE every query of the transaction,
 * this function's included, sees the transaction's snapshot, so neither
 * question can be answered by reading. A later-started writer of the key
 * that committed after that snapshot and left a gap where this write fills
 * one (the reliability checker's "fill a gap retroactively") closed at least
 * one version that the snapshot still shows as current; so the function
 * locks the key's current versions `FOR SHARE`, and PostgreSQL raises 40001
 * ("could not serialize access due to concurrent update") for any that a
 * transaction the snapshot cannot see has closed. `FOR SHARE`, not `FOR KEY
 * SHARE`, because a close changes no key column and a key-share lock would
 * pass over it; it does not wait for the key-share locks of reference
 * checks (decision 45). Decision 77.
 *
 * Either way the write raises 40001 and runs again. Since every writer of a
 * key holds its advisory lock until it ends, nothing can change the key
 * between this check and the write's own close and insert, so the write
 * needs no row locks of its own. A PL/pgSQL function, because only a
 * volatile function's queries take a fresh snapshot in the middle of a
 * statement (READ COMMITTED); one per table, because its queries are then
 * static and planned once per connection, where dynamic SQL would be
 * planned on every write.
 *
 * ```sql
 * create or replace function "tax_rates_changed_after"(integer, text, timestamp, daterange, bigint, tid[]) returns boolean
 * language plpgsql volatile
 * as $$
 * begin
 *   if current_setting('transaction_isolation') <> 'read committed' then
 *     perform from "tax_rates" as h where h."state_id" = $1 and h."tax_type" = $2 and upper_inf(h."system") for share of h;
 *   end if;
 *   return <a version written after $3: see writtenAfterSql>
 *     or (select count(*) <> $5 or coalesce(bool_or(h.ctid <> all ($6)), false) from "tax_rates" as h
 *       where h."state_id" = $1 and h."tax_type" = $2 and upper_inf(h."system") and h."effective" && $4);
 * end
 * $$;
 * ```
 */
export function changedAfterSql(definition: TableDefinition): string {
  const table = quoteQualifiedName(definition.table)
  const system = quoteIdentifier(definition.systemColumn)
  const effective = quoteIdentifier(definition.effectiveColumn)
  const keys = definition.keyColumns
  const parameter = (n: number): string => `$${String(keys.length + n)}`
  const [t, reach, seen, found] = [parameter(1), parameter(2), parameter(3), parameter(4)]
  const keyMatch = keys.map((column, i) => `h.${quoteIdentifier(column.name)} = $${String(i + 1)}`).join(' and ')
  return `create or replace function ${changedAfterSignature(definition)} returns boolean
language plpgsql volatile
as $$
begin
  if current_setting('transaction_isolation') <> 'read committed' then
    perform from ${table} as h where ${keyMatch} and upper_inf(h.${system}) for share of h;
  end if;
  return ${writtenAfterSql(table, keyMatch, system, t)}
    or (select count(*) <> ${seen} or coalesce(bool_or(h.ctid <> all (${found})), false) from ${table} as h
      where ${keyMatch} and upper_inf(h.${system}) and h.${effective} && ${reach});
end
$$;`
}

/**
 * The function's name and argument types, as `regprocedure` reads them:
 * `"tax_rates_changed_after"(integer, text, timestamp, daterange, bigint, tid[])`.
 * Tables created before decision 73 have a 5-argument one without `tid[]`.
 */
export function changedAfterSignature(definition: TableDefinition): string {
  const rangeType = definition.validTime === 'date' ? 'daterange' : 'tstzrange'
  const types = [...definition.keyColumns.map((column) => column.type), 'timestamp', rangeType, 'bigint', 'tid[]']
  return `${tableSqlNames(definition).changedAfterFunction}(${types.join(', ')})`
}

/**
 * Whether a version of the key was written after `t`: started after it, or
 * closed after it. One scan of the GiST index by key and `system && (t, …)`,
 * which also returns the key's current versions that started before `t`
 * and filters them out; a form that lets the index pass over those too (`<@`
 * for "started after", `&&` with `&<` for "closed after") needs two scans,
 * and measured slower on the benchmark's table.
 *
 * ```sql
 * exists (select 1 from "tax_rates" as h
 *   where h."state_id" = $1 and h."tax_type" = $2 and h."system" && tsrange($3, null, '()')
 *     and (lower(h."system") > $3 or (not upper_inf(h."system") and upper(h."system") > $3)))
 * ```
 */
function writtenAfterSql(table: string, keyMatch: string, system: string, t: string): string {
  return `exists (select 1 from ${table} as h
      where ${keyMatch} and h.${system} && tsrange(${t}, null, '()')
        and (lower(h.${system}) > ${t} or (not upper_inf(h.${system}) and upper(h.${system}) > ${t})))`
}

/**
 * True when no transaction can have committed since the statement's snapshot
 * was taken: this transaction's id, taken now, is the snapshot's `xmax` (no
 * transaction id was handed out since), and none of the transactions the
 * snapshot saw in progress has committed. A writer of the key that committed
 * in between would have to be one of those (decision 76). Only under READ
 * COMMITTED, where the snapshot is the statement's: a REPEATABLE READ
 * snapshot can predate this transaction's id, and a later transaction that
 * committed since is in neither test (decision 77).
 */
const QUIET_SINCE_SNAPSHOT = `current_setting('transaction_isolation') = 'read committed'
        and pg_current_xact_id() = pg_snapshot_xmax(pg_current_snapshot())
        and not exists (select 1 from pg_snapshot_xip(pg_current_snapshot()) as x where pg_xact_status(x) = 'committed')`

/** The SQL expressions a write statement passes to {@link keyChangedSql}. */
export interface KeyChangedArguments {
  /** The key, as the statement's typed parameters (`$1::text::integer`, …). */
  readonly key: readonly string[]
  /** The write's system time. */
  readonly t: string
  /** The valid time the write reaches, as one range. */
  readonly reach: string
  /** How many current versions in reach the statement found, and their `ctid`s (`tid[]`). */
  readonly seen: string
  readonly found: string
}

/**
 * The re-check a write statement makes once it holds the key's lock: true
 * when the key is no longer as the statement's snapshot showed it. If no
 * transaction has committed anywhere since that snapshot, the snapshot
 * itself is the database as it is now, and only "did a transaction that
 * started later write the key?" is left to ask, as a subquery; otherwise the
 * table's `<table>_changed_after` function asks both questions in a fresh
 * snapshot. It is the common case of a write with no other writer in flight,
 * and spares the function call (about a tenth of a split update); inside a
 * transaction that already has an id the function runs.
 *
 * ```sql
 * case when current_setting('transaction_isolation') = 'read committed' and pg_current_xact_id() = pg_snapshot_xmax(pg_current_snapshot())
 *     and not exists (select 1 from pg_snapshot_xip(pg_current_snapshot()) as x where pg_xact_status(x) = 'committed')
 *   then exists (select 1 from "tax_rates" as h where <a version written after T>)
 *   else "tax_rates_changed_after"($1::text::integer, $2::text, <T>, <reach>, count(*), array_agg(f.bt$row)) end
 * ```
 */
export function keyChangedSql(definition: TableDefinition, args: KeyChangedArguments): string {
  const keyMatch = definition.keyColumns.map((column, i) => `h.${quoteIdentifier(column.name)} = ${args.key[i] ?? ''}`).join(' and ')
  const system = quoteIdentifier(definition.systemColumn)
  return `case when ${QUIET_SINCE_SNAPSHOT} then ${writtenAfterSql(quoteQualifiedName(definition.table), keyMatch, system, args.t)}
        else ${tableSqlNames(definition).changedAfterFunction}(${[...args.key, args.t, args.reach, args.seen, args.found].join(', ')}) end`
}

/** Undoes {@link changedAfterSql}. */
export function dropChangedAfterSql(definition: TableDefinition): string {
  return `drop function ${tableSqlNames(definition).changedAfterFunction};`
}
