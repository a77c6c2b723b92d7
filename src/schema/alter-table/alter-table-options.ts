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
 *   Not available in this version: refused with `SchemaChangeRefusedError`.
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
}

const OPTIONS = ['rename', 'defaults'] as const
const READINGS: readonly string[] = ['every-version', 'current-versions']

/**
 * The options, checked before anything is sent: unknown keys, names that
 * are not identifiers, and readings other than the two are
 * `InvalidInputError`s.
 */
export function readAlterTableOptions(options: unknown, operation: string, table: string): { rename: ReadonlyMap<string, string>; defaults: ReadonlyMap<string, DefaultReading> } {
  if (options === undefined) return { rename: new Map(), defaults: new Map() }
  if (!isPlainObject(options)) throw new InvalidInputError(`bitemporal: ${operation} ${table}: options must be an object { rename?, defaults? }, got ${describeValue(options)}`)
  const unknown = unknownKeys(options, OPTIONS)
  if (unknown.length > 0) throw new InvalidInputError(`bitemporal: ${operation} ${table}: ${unknownKeysText(unknown, 'option')}; the options are rename and defaults`)
  const rename = readNameMap(options['rename'], `${operation} ${table}: rename`, (to, from) => validateIdentifier(to, `new name of column "${from}"`))
  const defaults = readNameMap(options['defaults'], `${operation} ${table}: defaults`, (reading, column) => {
    if (typeof reading !== 'string' || !READINGS.includes(reading)) {
      throw new InvalidInputError(`bitemporal: ${operation} ${table}: defaults.${column} must be 'every-version' or 'current-versions', got ${describeValue(reading)}`)
    }
    return reading as DefaultReading
  })
  const renamedTwice = [...rename.values()].filter((to, index, all) => all.indexOf(to) !== index)
  if (renamedTwice.length > 0) throw new InvalidInputError(`bitemporal: ${operation} ${table}: rename gives two columns the name "${renamedTwice[0] ?? ''}"`)
  return { rename, defaults }
}

function readNameMap<T>(value: unknown, what: string, read: (value: unknown, name: string) => T): ReadonlyMap<string, T> {
  if (value === undefined) return new Map()
  if (!isPlainObject(value)) throw new InvalidInputError(`bitemporal: ${what} must be an object of column name to value, got ${describeValue(value)}`)
  return new Map(
    Object.entries(value).map(([name, entry]) => {
      validateIdentifier(name, `column name in ${what}`)
      return [name, read(entry, name)]
    }),
  )
}
