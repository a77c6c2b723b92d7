import { sql } from 'kysely'
import type { AnyKysely } from '../any-kysely.js'
import { changedAfterSignature } from '../schema/changed-after-sql.js'
import type { TableDefinition } from '../schema/define-table.js'
import { tableSqlNames } from '../schema/table-sql-names.js'

interface ConstraintRow {
  readonly name: string
  readonly type: string
  readonly validated: boolean
  readonly index_valid: boolean
  readonly method: string | null
  /** JSON arrays, in the constraint's order. */
  readonly columns: string | null
  readonly operators: string | null
}

interface IndexRow {
  readonly name: string
  readonly valid: boolean
  readonly ready: boolean
}

interface TriggerRow {
  readonly name: string
  readonly enabled: string
  readonly type: number
  readonly function: string
  /** Whether its WHEN clause still calls bitemporal.system_time(), as before decision 74. */
  readonly earlier: boolean
}

// pg_trigger.tgtype bits (PostgreSQL's trigger.h).
const ROW = 1
const BEFORE = 2
const INSERT = 4
const DELETE = 8
const UPDATE = 16
const TRUNCATE = 32

/** A trigger `createTableSql` installs: name, when it fires, what it runs. */
interface ExpectedTrigger {
  readonly name: string
  readonly type: number
  readonly fires: string
  readonly function: string
}

/**
 * The catalog checks of one table: every object `createTableSql` makes is
 * there, under its name from `tableSqlNames`, and in working order:
 *
 * - the exclusion constraint, a GiST over the key columns with `=` and the
 *   effective and system columns with `&&`, its index valid;
 * - both CHECK constraints, validated (one re-added `NOT VALID` does not
 *   vouch for the rows already there);
 * - the three indexes, valid and ready (a failed `CREATE INDEX
 *   CONCURRENTLY` leaves an invalid one behind);
 * - the four triggers, firing BEFORE on their event, calling the library's
 *   function, and enabled (`DISABLE TRIGGER` turns the guard off; `ENABLE
 *   REPLICA` makes it fire only in replication sessions).
 *
 * @returns one message per problem, each saying what to do; empty when all is well.
 */
export async function checkTableStructure(db: AnyKysely, oid: string, definition: TableDefinition): Promise<string[]> {
  const names = tableSqlNames(definition)
  const raw = (quoted: string): string => quoted.slice(1, -1)
  const table = names.table
  const [constraints, indexes, triggers, writeFunction] = await Promise.all([
    sql<ConstraintRow>`
      select c.conname as name, c.contype::text as type, c.convalidated as validated, coalesce(i.indisvalid, true) as index_valid,
        (select am.amname::text from pg_catalog.pg_class ic join pg_catalog.pg_am am on am.oid = ic.relam where ic.oid = c.conindid) as method,
        (select array_to_json(array_agg(a.attname order by k.o))::text
           from unnest(c.conkey) with ordinality k(n, o) join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n) as columns,
        (select array_to_json(array_agg(op.oprname order by e.o))::text
           from unnest(c.conexclop) with ordinality e(op, o) join pg_catalog.pg_operator op on op.oid = e.op) as operators
      from pg_catalog.pg_constraint c left join pg_catalog.pg_index i on i.indexrelid = c.conindid
      where c.conrelid = ${oid}::oid`.execute(db),
    sql<IndexRow>`
      select ic.relname as name, i.indisvalid as valid, i.indisready as ready
      from pg_catalog.pg_index i join pg_catalog.pg_class ic on ic.oid = i.indexrelid
      where i.indrelid = ${oid}::oid`.execute(db),
    sql<TriggerRow>`
      select t.tgname as name, t.tgenabled::text as enabled, t.tgtype::int as type, pn.nspname || '.' || p.proname as function,
        coalesce(pg_catalog.pg_get_triggerdef(t.oid) like '%bitemporal.system_time()%', false) as earlier
      from pg_catalog.pg_trigger t join pg_catalog.pg_proc p on p.oid = t.tgfoid join pg_catalog.pg_namespace pn on pn.oid = p.pronamespace
      where t.tgrelid = ${oid}::oid and not t.tgisinternal`.execute(db),
    // Bodies from before decision 77 do not look at the isolation level.
    sql<{ present: boolean; current: boolean }>`
      select p.oid is not null as present, coalesce(p.prosrc like '%transaction_isolation%', false) as current
      from (select pg_catalog.to_regprocedure(${changedAfterSignature(definition)}) as oid) as f left join pg_catalog.pg_proc p on p.oid = f.oid`.execute(db),
  ])
  const problems: string[] = []
  const recreate = 'recreate it with the DDL of createTableSql(definition)'
  const upgrade = 'run upgradeTable(db, definition) in a migration (docs/schema.md)'

  const [written] = writeFunction.rows
  if (written?.present !== true) {
    problems.push(`function ${changedAfterSignature(definition)} is missing (a table made by an earlier version of the library has one without tid[]): every write to ${table} fails; ${upgrade}`)
  } else if (!written.current) {
    problems.push(
      `function ${changedAfterSignature(definition)} is from an earlier version of the library: a write in a REPEATABLE READ or SERIALIZABLE transaction can record history out of order; ${upgrade}`,
    )
  }

  const exclusion = constraints.rows.find((row) => row.name === raw(names.noOverlap))
  const expectedColumns = [...definition.keyColumns.map((c) => c.name), definition.effectiveColumn, definition.systemColumn]
  const expectedOperators = [...definition.keyColumns.map(() => '='), '&&', '&&']
  if (exclusion === undefined || exclusion.type !== 'x') {
    problems.push(`exclusion constraint ${names.noOverlap} is missing: nothing stops overlapping versions (invariant 1); ${recreate} (adding it also verifies every row)`)
  } else if (
    exclusion.method !== 'gist' ||
    exclusion.columns !== JSON.stringify(expectedColumns) ||
    exclusion.operators !== JSON.stringify(expectedOperators)
  ) {
    problems.push(`exclusion constraint ${names.noOverlap} is not (${expectedColumns.map((c, i) => `${c} with ${expectedOperators[i] ?? ''}`).join(', ')}) using gist; drop it and ${recreate}`)
  } else if (!exclusion.index_valid) {
    problems.push(`the index of exclusion constraint ${names.noOverlap} is invalid; reindex table ${table}`)
  }

  for (const name of [names.effectiveNotEmpty, names.systemNotEmpty]) {
    const check = constraints.rows.find((row) => row.name === raw(name))
    if (check === undefined || check.type !== 'c') problems.push(`check constraint ${name} is missing; ${recreate}`)
    else if (!check.validated) problems.push(`check constraint ${name} is not validated (added NOT VALID); alter table ${table} validate constraint ${name}`)
  }

  for (const name of [names.currentIndex, names.assertedIndex, names.retractedIndex]) {
    const index = indexes.rows.find((row) => row.name === raw(name))
    if (index === undefined) problems.push(`index ${name} is missing: reads of ${table} scan the table; ${recreate}`)
    else if (!index.valid || !index.ready) problems.push(`index ${name} is invalid (a failed concurrent build?); reindex index ${quoteIn(definition, name)}`)
  }

  const expected: readonly ExpectedTrigger[] = [
    { name: names.insertTrigger, type: ROW | BEFORE | INSERT, fires: 'before insert for each row', function: 'bitemporal.check_inserted_system' },
    { name: names.historyTrigger, type: ROW | BEFORE | UPDATE, fires: 'before update for each row', function: 'bitemporal.guard_history' },
    { name: names.deleteTrigger, type: ROW | BEFORE | DELETE, fires: 'before delete for each row', function: 'bitemporal.guard_history' },
    { name: names.truncateTrigger, type: BEFORE | TRUNCATE, fires: 'before truncate', function: 'bitemporal.guard_history' },
  ]
  for (const want of expected) {
    const trigger = triggers.rows.find((row) => row.name === raw(want.name))
    if (trigger === undefined) problems.push(`trigger ${want.name} is missing (${want.fires}, ${want.function}): upgradeTable puts every trigger back; ${upgrade}`)
    else if (trigger.type !== want.type || trigger.function !== want.function) {
      problems.push(`trigger ${want.name} does not fire ${want.fires} calling ${want.function}: upgradeTable drops it and puts it back right; ${upgrade}`)
    } else if (trigger.enabled === 'D') problems.push(`trigger ${want.name} is disabled; alter table ${table} enable trigger ${want.name}`)
    else if (trigger.enabled === 'R') {
      problems.push(`trigger ${want.name} fires only in replica sessions; alter table ${table} enable trigger ${want.name}`)
    } else if (trigger.earlier) {
      problems.push(`trigger ${want.name} is from an earlier version of the library (its condition calls bitemporal.system_time(), planned on every write); ${upgrade}`)
    }
  }
  return problems
}

/** An index name qualified by the table's schema, for `reindex index`. */
function quoteIn(definition: TableDefinition, quotedName: string): string {
  return definition.table.schema === undefined ? quotedName : `"${definition.table.schema}".${quotedName}`
}
