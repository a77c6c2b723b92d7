import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { InvalidInputError } from '../errors/errors.js'
import { sqlMigrationTemplate, tableChangeMigrationTemplate, tsMigrationTemplate } from './migration-templates.js'

/**
 * What a migration may be called. Letters, digits and underscores keep the
 * file name portable; the length bound keeps `<timestamp>_<name>` within the
 * 255 characters of the migration record's name column.
 */
export const MIGRATION_NAME = /^[a-z0-9_]{1,200}$/i

/** What {@link createMigration} takes. */
export interface CreateMigrationOptions {
  /** The migration folder; created if missing. Relative paths are resolved against `process.cwd()`. */
  readonly folder: string
  /** The part after the timestamp; must match {@link MIGRATION_NAME}. */
  readonly name: string
  /** Write a `.ts` module instead of a `.sql` file. Default: `false`. */
  readonly typescript?: boolean
  /** Write a `.ts` module that changes a bitemporal table with `alterTable` (implies `typescript`). Default: `false`. */
  readonly tableChange?: boolean
  /** The moment the timestamp is taken from. Default: now. */
  readonly now?: Date
}

/**
 * Writes a new migration file `<folder>/<YYYYMMDDHHmmss>_<name>.sql` (or
 * `.ts`) from a template. The timestamp is UTC so that names sort in the
 * order they were created whatever the authors' time zones. Never
 * overwrites a file.
 *
 * @returns the absolute path of the new file.
 * @throws {InvalidInputError} for a bad name or when the file already exists.
 *
 * @example
 * ```ts
 * await createMigration({ folder: 'migrations', name: 'tax_rates' })
 * // '/app/migrations/20260101120000_tax_rates.sql'
 * ```
 */
export async function createMigration(options: CreateMigrationOptions): Promise<string> {
  if (!MIGRATION_NAME.test(options.name)) {
    throw new InvalidInputError(`invalid migration name "${options.name}": use letters, digits and underscores, at most 200 characters`)
  }
  const stamp = (options.now ?? new Date()).toISOString().replace(/\D/g, '').slice(0, 14)
  const tableChange = options.tableChange === true
  const typescript = options.typescript === true || tableChange
  const fileName = `${stamp}_${options.name}${typescript ? '.ts' : '.sql'}`
  const folder = resolve(options.folder)
  const path = join(folder, fileName)
  await mkdir(folder, { recursive: true })
  try {
    // 'wx': two runs within the same second must not overwrite each other.
    await writeFile(path, tableChange ? tableChangeMigrationTemplate(fileName) : typescript ? tsMigrationTemplate(fileName) : sqlMigrationTemplate(fileName), { flag: 'wx' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new InvalidInputError(`${path} already exists; wait a second or choose another name`, { cause: error })
    }
    throw error
  }
  return path
}
