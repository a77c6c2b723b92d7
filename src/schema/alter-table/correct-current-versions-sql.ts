import { parameterTypeOf } from '../../values/column-codec.js'
import { textParameter } from '../../values/text-parameter.js'
import { AUDIT_COLUMNS, type ColumnDefinition, type TableDefinition } from '../define-table.js'
import { quoteIdentifier } from '../identifier.js'
import { keyLockSql } from '../key-lock-sql.js'
import { tableSqlNames } from '../table-sql-names.js'

/**
 * The three statements of `correctCurrentVersions`, built once per table and
 * column. Every value travels as a parameter; keys go back and forth as one
 * JSON text of the key columns' own text forms, which PostgreSQL reads back
 * into exactly the values it wrote out.
 */
export interface CorrectCurrentVersionsSql {
  /**
   * How many keys have a current version whose column is null: the `total`
   * of the progress. Returns `keys` (text).
   */
  readonly countKeys: string
  /**
   * Picks the next keys to correct, in key order after `$1` (the JSON of the
   * last key of the batch before, or null), at most the batch size, and
   * takes each one's advisory lock, waiting for a writer that holds it: the
   * lock every write of the key takes (docs/semantics.md §7 "The key lock").
   * `$2` is the batch size. Returns `locked`: a JSON array of the keys, in
   * order, each an array of its columns' text; null when none is left.
   */
  readonly lockKeys: string
  /**
   * Run after `lockKeys` in the same READ COMMITTED transaction, so that its
   * snapshot, taken once the locks are held, shows every write of those
   * keys: closes each of their current versions whose column is null at the
   * transaction's system time `T` and inserts it again with the column's
   * default, leaving out a key that a transaction which started after `T`
   * has written (a write there would come before what it builds on; the
   * next pass takes it in a later transaction). `$1` is `locked`; on audited
   * tables `$2` and `$3` are the actor and the reason. Returns `keys`,
   * `versions` and `skipped` (text).
   */
  readonly correctKeys: string
}

/**
 * The SQL of correcting the current versions of one column (see
 * {@link CorrectCurrentVersionsSql}). `column` is a value column of
 * `definition` with a default.
 *
 * For a table `prices` (key `sku text`; values `price`, `qty`, `legacy_code`)
 * and a column `currency text default 'USD'`,
 * `correctKeys` reads:
 *
 * ```sql
 * with locked as (
 *   select (e.key ->> 0)::text as "sku" from jsonb_array_elements($1::text::jsonb) as e (key)),
 * ready as materialized (
 *   select l.* from locked l where not exists (select 1 from "prices" as h where h."sku" = l."sku"
 *     and h."system" && tsrange(bitemporal.system_time(), null, '[)')
 *     and (lower(h."system") >= bitemporal.system_time() or (not upper_inf(h."system") and upper(h."system") > bitemporal.system_time())))),
 * closed as (
 *   update "prices" as t set "system" = tsrange(lower(t."system"), bitemporal.system_time(), '[)')
 *   from ready r where t."sku" = r."sku" and upper_inf(t."system") and t."currency" is null
 *   returning t.*),
 * inserted as (
 *   insert into "prices" ("sku", "price", "qty", "legacy_code", "currency", "effective")
 *   select c."sku", c."price", c."qty", c."legacy_code", 'USD', c."effective" from closed c
 *   returning 1)
 * select (select count(*) from (select distinct c."sku" from closed c) as k)::text as keys,
 *   (select count(*) from inserted)::text as versions,
 *   ((select count(*) from locked) - (select count(*) from ready))::text as skipped
 * ```
 */
export function correctCurrentVersionsSql(definition: TableDefinition, column: ColumnDefinition): CorrectCurrentVersionsSql {
  const { table } = tableSqlNames(definition)
  const system = quoteIdentifier(definition.systemColumn)
  const effective = quoteIdentifier(definition.effectiveColumn)
  const corrected = quoteIdentifier(column.name)
  const keys = definition.keyColumns.map((key) => ({ name: quoteIdentifier(key.name), type: parameterTypeOf(key.type) }))
  const keyList = (alias: string): string => keys.map((key) => `${alias}.${key.name}`).join(', ')
  const keyMatch = (left: string, right: string): string => keys.map((key) => `${left}.${key.name} = ${right}.${key.name}`).join(' and ')
  // A key from its JSON form: an array of the key columns' text, in order.
  const fromJson = (json: string): string => keys.map((key, i) => `(${json} ->> ${String(i)})::${key.type}`).join(', ')
  const toJson = (alias: string): string => `json_build_array(${keys.map((key) => `${alias}.${key.name}::text`).join(', ')})`
  const needsCorrection = (alias: string): string => `upper_inf(${alias}.${system}) and ${alias}.${corrected} is null`
  const T = 'bitemporal.system_time()'

  const countKeys = `-- bitemporal: keys of ${table} whose current versions lack ${corrected}
select count(*)::text as keys from (select distinct ${keyList('t')} from ${table} as t where ${needsCorrection('t')}) as k`

  const lockKeys = `-- bitemporal: lock the next keys of ${table} whose current versions lack ${corrected}
with picked as (
  select distinct ${keyList('t')} from ${table} as t
  where ${needsCorrection('t')}
    and ($1::text is null or (${keyList('t')}) > (${fromJson('$1::text::jsonb')}))
  order by ${keyList('t')}
  limit $2::text::integer
),
locked as materialized (
  -- In key order, so that two corrections running at once cannot deadlock.
  select p.*, pg_advisory_xact_lock(${keyLockSql(definition, keys.map((key) => ({ expression: `p.${key.name}`, parameterType: key.type })))}) as bt$locked
  from picked p
  order by ${keyList('p')}
)
select json_agg(${toJson('l')} order by ${keyList('l')})::text as locked from locked l`

  const audit = definition.audit
  const actor = textParameter(2, 'text')
  const reason = textParameter(3, 'text')
  const copied = [...definition.keyColumns, ...definition.valueColumns].filter((c) => c.name !== column.name).map((c) => quoteIdentifier(c.name))
  const insertColumns = [...copied, corrected, effective, ...(audit ? [AUDIT_COLUMNS.recordedBy, AUDIT_COLUMNS.recordedReason].map(quoteIdentifier) : [])]
  // The definition's default is a literal checked by defineTable; the INSERT gives it the column's type.
  const insertValues = [...copied.map((c) => `c.${c}`), column.default ?? 'null', `c.${effective}`, ...(audit ? [actor, reason] : [])]
  const closeAudit = audit ? `, ${quoteIdentifier(AUDIT_COLUMNS.closedBy)} = ${actor}, ${quoteIdentifier(AUDIT_COLUMNS.closedReason)} = ${reason}` : ''

  const correctKeys = `-- bitemporal: correct the current versions of the locked keys of ${table} with the default of ${corrected}
with locked as (
  select ${keys.map((key, i) => `(e.key ->> ${String(i)})::${key.type} as ${key.name}`).join(', ')} from jsonb_array_elements($1::text::jsonb) as e (key)
),
ready as materialized (
  -- Written by a transaction that started at or after T: not at this T.
  select l.* from locked l where not exists (select 1 from ${table} as h where ${keyMatch('h', 'l')}
    and h.${system} && tsrange(${T}, null, '[)')
    and (lower(h.${system}) >= ${T} or (not upper_inf(h.${system}) and upper(h.${system}) > ${T})))
),
closed as (
  update ${table} as t set ${system} = tsrange(lower(t.${system}), ${T}, '[)')${closeAudit}
  from ready r
  where ${keyMatch('t', 'r')} and ${needsCorrection('t')}
  returning t.*
),
inserted as (
  insert into ${table} (${insertColumns.join(', ')})
  select ${insertValues.join(', ')} from closed c
  returning 1
)
select (select count(*) from (select distinct ${keyList('c')} from closed c) as k)::text as keys,
  (select count(*) from inserted)::text as versions,
  ((select count(*) from locked) - (select count(*) from ready))::text as skipped`

  return Object.freeze({ countKeys, lockKeys, correctKeys })
}
