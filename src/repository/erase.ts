import type { AnyKysely } from '../any-kysely.js'
import { InvalidInputError } from '../errors/errors.js'
import { mapDatabaseError } from '../errors/map-database-error.js'
import { readOptions } from '../options/read-options.js'
import { runStatement } from '../statement/run-statement.js'
import type { TableSqlContext } from '../statement/table-sql-context.js'
import { arrayLiteral } from '../values/array-literal.js'
import { encodeKey } from '../codec/encode-key.js'

/** Options of `repo.erase`. */
export interface EraseOptions<C extends string = string> {
  /** Why: the legal ground or the request's reference. Required, recorded. */
  readonly reason: string
  /** Who asked for or approved the erasure. Required, recorded (beside the session's login role). */
  readonly actor: string
  /** The value columns to redact. Default: every value column. Key columns cannot be erased. */
  readonly columns?: readonly C[]
}

/** What an erasure did. */
export interface EraseResult {
  /** The id of its row in `bitemporal.erasure` (a bigint, as text). */
  readonly erasureId: string
  /** How many versions of the key were redacted: all of them, current and superseded. */
  readonly versions: number
  /** The columns redacted. */
  readonly columns: readonly string[]
}

function requiredText(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '' || value.includes('\0')) {
    throw new InvalidInputError(`erase: ${what} must be a non-empty string without NUL characters`)
  }
  return value
}

/**
 * Redacts the chosen value columns of every version of one key through
 * `bitemporal.erase()` (sql/0005_erasure.sql), the one operation allowed to
 * change recorded history, and only for a role granted it
 * (`bitemporal.grant_eraser`). Arguments are checked before anything is
 * sent; the database checks them again, and the caller's role.
 *
 * ```sql
 * select erasure_id::text as erasure_id, erased_versions::text as erased_versions, array_to_json(erased_columns)::text as erased_columns
 * from bitemporal.erase($1::text::regclass, $2::text::jsonb, $3::text, $4::text, $5::text::text[])
 * ```
 */
export async function eraseKey(db: AnyKysely, context: TableSqlContext, key: unknown, options: unknown): Promise<EraseResult> {
  const checked = readOptions(options, 'erase', ['reason', 'actor', 'columns'], ['reason', 'actor'])
  const reason = requiredText(checked['reason'], 'reason')
  const actor = requiredText(checked['actor'], 'actor')
  const names = context.values.map((codec) => codec.column.name)
  const columns = checked['columns']
  if (columns !== undefined) {
    if (!Array.isArray(columns) || columns.length === 0 || new Set(columns).size !== columns.length || columns.some((c) => typeof c !== 'string' || !names.includes(c))) {
      throw new InvalidInputError(
        `erase: columns must be a non-empty list of distinct value columns of "${context.definition.name}" (${names.join(', ')}); key columns name the entity and cannot be erased`,
      )
    }
  }
  const encoded = encodeKey(context, key)
  // The key as JSON, each column under its name; erase() reads it with the table's own column types.
  const keyJson = JSON.stringify(Object.fromEntries(context.keys.map((codec, i) => [codec.column.name, encoded[i]])))
  let rows: Awaited<ReturnType<typeof runStatement>>
  try {
    rows = await runStatement(
      db,
      // Text only: the caller's pg type parsers must not change what the library reads.
      'select erasure_id::text as erasure_id, erased_versions::text as erased_versions, array_to_json(erased_columns)::text as erased_columns from bitemporal.erase($1::text::regclass, $2::text::jsonb, $3::text, $4::text, $5::text::text[])',
      [context.table, keyJson, reason, actor, columns === undefined ? null : arrayLiteral(columns)],
    )
  } catch (error) {
    // erase() raises its own messages ('bitemporal: erase: …'), passed on as
    // they are: NotFoundError for a key without versions, InvalidInputError
    // for arguments it refuses.
    throw mapDatabaseError(error, { table: context.definition.name, operation: 'erase', key: key as Readonly<Record<string, unknown>> })
  }
  const row = rows[0] as Readonly<Record<string, string | null>> | undefined
  return Object.freeze({
    erasureId: String(row?.['erasure_id']),
    versions: Number(row?.['erased_versions']),
    columns: Object.freeze(JSON.parse(row?.['erased_columns'] ?? '[]') as string[]),
  })
}
