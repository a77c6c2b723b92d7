import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { extname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { MigrationFailedError } from '../errors/errors.js'
import { runSqlStatements } from '../schema/sql-statements.js'
import type { KyselyMigration } from './kysely-migration-api.js'

/** One migration read from a folder: its name (the file name without extension) and content hash. */
export interface MigrationFile {
  readonly name: string
  readonly path: string
  /** sha256 of the file's bytes, hex. */
  readonly checksum: string
  readonly migration: KyselyMigration
}

const SQL_EXTENSIONS = new Set(['.sql'])
const MODULE_EXTENSIONS = new Set(['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'])

/** The line that splits a `.sql` migration into its up and down parts. */
export const SQL_DOWN_MARKER = /^--\s*migrate:down\s*$/m

/**
 * Reads every migration in `folder`: `.sql` files (an optional
 * `-- migrate:down` line starts the down part) and `.js`/`.ts` modules that
 * export `up(db)` and optionally `down(db)`. Sorted by name, which is the
 * order Kysely's `Migrator` applies them in.
 */
export async function readMigrationFolder(folder: string): Promise<MigrationFile[]> {
  const directory = resolve(folder)
  let entries: string[]
  try {
    entries = await readdir(directory)
  } catch (error) {
    throw new MigrationFailedError(`cannot read the migration folder ${directory}: create it or pass the right folder`, {
      cause: error,
    })
  }
  const files: MigrationFile[] = []
  const seen = new Map<string, string>()
  for (const entry of entries.sort()) {
    const extension = extname(entry)
    if (entry.endsWith('.d.ts') || entry.startsWith('.')) continue
    if (!SQL_EXTENSIONS.has(extension) && !MODULE_EXTENSIONS.has(extension)) continue
    const name = entry.slice(0, -extension.length)
    const clash = seen.get(name)
    if (clash !== undefined) {
      throw new MigrationFailedError(`migrations "${clash}" and "${entry}" have the same name; rename one of them`, {
        migration: name,
      })
    }
    seen.set(name, entry)
    const path = join(directory, entry)
    const content = await readFile(path)
    const checksum = createHash('sha256').update(content).digest('hex')
    const migration = SQL_EXTENSIONS.has(extension) ? sqlMigration(name, content.toString('utf8')) : moduleMigration(name, path)
    files.push(Object.freeze({ name, path, checksum, migration }))
  }
  return files
}

function sqlMigration(name: string, text: string): KyselyMigration {
  const marker = SQL_DOWN_MARKER.exec(text)
  const upSql = marker ? text.slice(0, marker.index) : text
  const downSql = marker ? text.slice(marker.index + marker[0].length) : undefined
  return {
    // One statement per query, as every driver can run them; the runner's
    // transaction wraps them all.
    up: async (db) => {
      await runSqlStatements(db, upSql)
    },
    down: async (db) => {
      if (downSql === undefined || downSql.trim() === '') {
        throw new MigrationFailedError(`migration "${name}" has no "-- migrate:down" part, so it cannot be reverted`, {
          migration: name,
        })
      }
      await runSqlStatements(db, downSql)
    },
  }
}

function moduleMigration(name: string, path: string): KyselyMigration {
  const load = async (): Promise<KyselyMigration> => {
    let module: Record<string, unknown>
    try {
      module = (await import(pathToFileURL(path).href)) as Record<string, unknown>
    } catch (error) {
      throw new MigrationFailedError(
        `cannot load migration "${name}" (${path}); for .ts files run under a loader such as tsx (NODE_OPTIONS="--import tsx") or Node 22.18+`,
        { cause: error, migration: name },
      )
    }
    const candidate = (typeof module['up'] === 'function' ? module : module['default']) as Partial<KyselyMigration> | undefined
    if (typeof candidate?.up !== 'function') {
      throw new MigrationFailedError(`migration "${name}" (${path}) must export a function up(db)`, { migration: name })
    }
    return candidate as KyselyMigration
  }
  return {
    up: async (db) => {
      await (await load()).up(db)
    },
    down: async (db) => {
      const migration = await load()
      if (migration.down === undefined) {
        throw new MigrationFailedError(`migration "${name}" exports no down(db), so it cannot be reverted`, { migration: name })
      }
      await migration.down(db)
    },
  }
}
