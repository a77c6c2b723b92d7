import { InvalidInputError } from '../errors/errors.js'
import { LIBRARY_SQLSTATE } from '../errors/map-database-error.js'
import { isPlainObject } from '../values/is-plain-object.js'
import type { TableDefinition } from './define-table.js'
import { entityTableNames } from './entity-table-sql.js'
import { quoteLiteral } from './identifier.js'
import { tableSqlNames } from './table-sql-names.js'

/** What `dropTable` and `dropTableSql` take besides the definition. */
export interface DropTableOptions {
  /**
   * Drop the table even though it holds rows, destroying its whole history.
   * Default `false`: a table holding rows is not dropped
   * (`HistoryWouldBeLostError`, code `HISTORY_WOULD_BE_LOST`).
   */
  readonly discardHistory?: boolean
}

/**
 * The transaction setting that lets the guard of {@link dropGuardSql} through:
 * `bitemporal migrate down --discard-history` (`runner.down({ discardHistory:
 * true })`) sets it to `on` for the reverted migration's transaction only, so
 * a `down` that calls `dropTable(db, def)`, or runs the SQL of `dropTableSql`,
 * drops the rows it was told to drop without being edited.
 */
export const DISCARD_HISTORY_SETTING = 'bitemporal.discard_history'

/** Checks the options of `dropTable`/`dropTableSql` before anything is built or sent. */
export function readDropTableOptions(options: unknown, operation: string): DropTableOptions {
  if (options === undefined) return {}
  if (!isPlainObject(options)) throw new InvalidInputError(`${operation}: options must be an object { discardHistory? }`)
  const unknown = Object.keys(options).filter((name) => name !== 'discardHistory')
  if (unknown.length > 0) {
    throw new InvalidInputError(
      `${operation}: unknown option ${unknown.map((name) => JSON.stringify(name.slice(0, 60))).join(', ')}; the options are { discardHistory? }`,
    )
  }
  const discardHistory = options['discardHistory']
  if (discardHistory !== undefined && typeof discardHistory !== 'boolean') {
    throw new InvalidInputError(`${operation}: discardHistory must be true or false, got ${typeof discardHistory}`)
  }
  return discardHistory === undefined ? {} : { discardHistory }
}

// Counting stops here: the number is for the message, and counting a large
// table in full would hold its exclusive lock for nothing.
const COUNT_LIMIT = 1000

/**
 * The statement that `dropTableSql` puts first: unless the transaction has
 * {@link DISCARD_HISTORY_SETTING} on, it locks the versions table (and its
 * entity table) the way `drop table` would, and if either holds a row it
 * raises SQLSTATE BT005 (`HistoryWouldBeLostError`), so nothing of the drop
 * happens. History is never deleted as a side effect (docs/semantics.md
 * §2): a `down` migration that drops a table holding rows must be
 * told so explicitly.
 *
 * It is SQL rather than a check in TypeScript so that the refusal holds
 * wherever the DDL runs: `dropTable`, a `.sql` migration holding the text of
 * `dropTableSql`, or psql. The lock comes before the count, so a row
 * committed between the two cannot be dropped unseen.
 *
 * @example
 * ```ts
 * dropGuardSql(defineTable({ name: 'tax_rates', key: { state_id: 'integer' }, values: { rate: 'numeric' } }))
 * // do $guard$ … lock table "tax_rates" in access exclusive mode; … raise exception using errcode = 'BT005', … $guard$;
 * ```
 */
export function dropGuardSql(definition: TableDefinition): string {
  const { table } = tableSqlNames(definition)
  const entity = definition.entity ? entityTableNames(definition).table : undefined
  const counted = (relation: string, into: string): string =>
    `    lock table ${relation} in access exclusive mode;\n    select count(*) into ${into} from (select from ${relation} limit ${String(COUNT_LIMIT + 1)}) as held;`
  const amount = (count: string, noun: string, nouns: string): string =>
    `case when ${count} > ${String(COUNT_LIMIT)} then 'more than ${String(COUNT_LIMIT)} ${nouns}' when ${count} = 1 then '1 ${noun}' else ${count} || ' ${nouns}' end`
  const held = entity === undefined
    ? `'it holds ' || ${amount('versions', 'version', 'versions')}`
    : `case when versions > 0 then 'it holds ' || ${amount('versions', 'version', 'versions')} else 'its entity table ' || ${quoteLiteral(entity)} || ' holds ' || ${amount('entities', 'entity', 'entities')} end`
  const hint =
    'Copy the rows elsewhere first if they must be kept. To drop them knowingly, pass { discardHistory: true } to dropTable or dropTableSql, ' +
    `run "bitemporal migrate down --discard-history" (runner.down({ discardHistory: true })), or set ${DISCARD_HISTORY_SETTING} = on in the transaction.`
  return [
    'do $guard$',
    'declare',
    '  versions bigint;',
    '  entities bigint := 0;',
    'begin',
    `  if coalesce(current_setting(${quoteLiteral(DISCARD_HISTORY_SETTING)}, true), '') not in ('on', 'true') then`,
    counted(table, 'versions'),
    ...(entity === undefined ? [] : [counted(entity, 'entities')]),
    '    if versions > 0 or entities > 0 then',
    '      raise exception using',
    `        errcode = '${LIBRARY_SQLSTATE.historyWouldBeLost}',`,
    `        message = 'bitemporal: refusing to drop ' || ${quoteLiteral(table)} || ': ' || ${held} || ': history that dropping the table would destroy. Nothing was dropped.',`,
    `        hint = ${quoteLiteral(hint)};`,
    '    end if;',
    '  end if;',
    'end',
    '$guard$;',
  ].join('\n')
}
