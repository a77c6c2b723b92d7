import { describeValue } from '../../errors/describe-value.js'
import { InvalidInputError } from '../../errors/errors.js'
import { isPlainObject } from '../../values/is-plain-object.js'
import { unknownKeys, unknownKeysText } from '../../values/unknown-keys.js'
import { validateIdentifier } from '../identifier.js'

/**
 * What versions recorded before a column was added read in it, when the
 * column has a default and the table holds rows:
 *
 * - `'every-version'`: the default holds for every version ever recorded, as
 *   if the column had always been there (PostgreSQL's `ADD COLUMN …
 *   DEFAULT`: a statement about the schema; a catalog change, no rewrite).
 * - `'current-versions'`: current versions receive the value at the change's
 *   system time as a recorded correction, and history keeps reading `null`.
 *   After the DDL commits, `correctCurrentVersions` closes each current
 *   version and inserts it again with the value, in batches (`actor` and
 *   `reason` are recorded on audited tables). `db` must not be a transaction.
 */
export type DefaultReading = 'every-version' | 'current-versions'

/** The options of `alterTable` and `alterTableSql`. */
export interface AlterTableOptions {
  /**
   * Value columns to rename, old name to new: `{ price: 'amount' }`. A
   * column missing from the definition and not named here is a drop, and is
   * refused.
   */
  readonly rename?: Readonly<Record<string, string>>
  /** For each added column with a default, on a table that holds rows: what earlier versions read ({@link DefaultReading}). */
  readonly defaults?: Readonly<Record<string, DefaultReading>>
  /**
   * Value columns to drop, erasing what history recorded in them: only when
   * named here, with `actor` and `reason`, by a role that may ALTER the
   * table; each drop is recorded in `bitemporal.dropped_column`.
   */
  readonly drop?: readonly string[]
  /** Who makes the change: required with `drop`, and with `'current-versions'` on audited tables. */
  readonly actor?: string
  /** Why: required with `drop`; recorded with `'current-versions'` on audited tables. */
  readonly reason?: string
}

/** The options of `alterTable`, checked. */
export interface ReadAlterTableOptions {
  readonly rename: ReadonlyMap<string, string>
  readonly defaults: ReadonlyMap<string, DefaultReading>
  readonly drop: ReadonlySet<string>
  readonly actor: string | undefined
  readonly reason: string | undefined
}

const OPTIONS = ['rename', 'defaults', 'drop', 'actor', 'reason'] as const
const READINGS: readonly string[] = ['every-version', 'current-versions']

/**
 * The options, checked before anything is sent: unknown keys, names that
 * are not identifiers, and readings other than the two are
 * `InvalidInputError`s.
 */
export function readAlterTableOptions(options: unknown, operation: string, table: string): ReadAlterTableOptions {
  if (options === undefined) return { rename: new Map(), defaults: new Map(), drop: new Set(), actor: undefined, reason: undefined }
  if (!isPlainObject(options)) throw new InvalidInputError(`${operation} ${table}: options must be an object { rename?, defaults? }, got ${describeValue(options)}`)
  const unknown = unknownKeys(options, OPTIONS)
  if (unknown.length > 0) throw new InvalidInputError(`${operation} ${table}: ${unknownKeysText(unknown, 'option')}; the options are rename, defaults, drop, actor and reason`)
  const rename = readNameMap(options['rename'], `${operation} ${table}: rename`, (to, from) => validateIdentifier(to, `new name of column "${from}"`))
  const defaults = readNameMap(options['defaults'], `${operation} ${table}: defaults`, (reading, column) => {
    if (typeof reading !== 'string' || !READINGS.includes(reading)) {
      throw new InvalidInputError(`${operation} ${table}: defaults.${column} must be 'every-version' or 'current-versions', got ${describeValue(reading)}`)
    }
    return reading as DefaultReading
  })
  const renamedTwice = [...rename.values()].filter((to, index, all) => all.indexOf(to) !== index)
  if (renamedTwice.length > 0) throw new InvalidInputError(`${operation} ${table}: rename gives two columns the name "${renamedTwice[0] ?? ''}"`)
  const drop = readDrop(options['drop'], `${operation} ${table}: drop`)
  const actor = readText(options['actor'], `${operation} ${table}: actor`)
  const reason = readText(options['reason'], `${operation} ${table}: reason`)
  if (drop.size > 0 && (actor === undefined || reason === undefined)) {
    throw new InvalidInputError(`${operation} ${table}: dropping ${[...drop].map((c) => `"${c}"`).join(', ')} needs { actor, reason }: who drops it and why, recorded in bitemporal.dropped_column`)
  }
  return { rename, defaults, drop, actor, reason }
}

function readDrop(value: unknown, what: string): ReadonlySet<string> {
  if (value === undefined) return new Set()
  if (!Array.isArray(value)) throw new InvalidInputError(`${what} must be a list of column names, got ${describeValue(value)}`)
  return new Set(value.map((name) => validateIdentifier(name, `column name in ${what}`)))
}

function readText(value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.trim() === '' || value.includes('\0')) {
    throw new InvalidInputError(`${what} must be a non-empty string without NUL characters, got ${describeValue(value)}`)
  }
  return value
}

function readNameMap<T>(value: unknown, what: string, read: (value: unknown, name: string) => T): ReadonlyMap<string, T> {
  if (value === undefined) return new Map()
  if (!isPlainObject(value)) throw new InvalidInputError(`${what} must be an object of column name to value, got ${describeValue(value)}`)
  return new Map(
    Object.entries(value).map(([name, entry]) => {
      validateIdentifier(name, `column name in ${what}`)
      return [name, read(entry, name)]
    }),
  )
}
