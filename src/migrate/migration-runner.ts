import { sql } from 'kysely'
import type { AnyKysely } from '../any-kysely.js'
import { BitemporalError, InvalidInputError, MigrationEditedError, MigrationFailedError } from '../errors/errors.js'
import { mapDatabaseError } from '../errors/map-database-error.js'
import { DISCARD_HISTORY_SETTING } from '../schema/drop-guard-sql.js'
import { validateIdentifier } from '../schema/identifier.js'
import { readOptions } from '../options/read-options.js'
import { assertDatabase } from '../statement/database-input.js'
import { createKyselyMigrator, type KyselyMigration, type KyselyMigrationResultSet, type KyselyMigrator } from './kysely-migration-api.js'
import { type MigrationFile, readMigrationFolder } from './migration-file.js'

/** What {@link MigrationRunner} takes. */
export interface MigrationRunnerOptions {
  /** The database. The runner takes its own connection and transaction from it. */
  readonly db: AnyKysely
  /** Folder of `.sql`, `.js` and `.ts` migration files. */
  readonly folder: string
  /** Schema of the bookkeeping tables. Default: `'bitemporal'`. */
  readonly schema?: string
  /** Name of the table of applied migrations; `<table>_lock` and `<table>_checksum` sit beside it. Default: `'migration'`. */
  readonly table?: string
  /** Run even when applied migrations were edited since (they are still reported by `status`). Default: `false`. */
  readonly allowEdited?: boolean
}

/**
 * - `applied`: ran, and the file is unchanged since.
 * - `pending`: not run yet.
 * - `edited`: ran, but the file changed since (its checksum differs).
 * - `missing`: ran, but the file is gone.
 */
export type MigrationState = 'applied' | 'pending' | 'edited' | 'missing'

export interface MigrationStatus {
  readonly name: string
  readonly state: MigrationState
  /** When it ran (ISO string), if it did. */
  readonly appliedAt: string | undefined
  /** sha256 of the file now; `undefined` when the file is missing. */
  readonly checksum: string | undefined
  /** sha256 recorded when it ran; `undefined` if not run, or run by a runner that kept none. */
  readonly recordedChecksum: string | undefined
}

/** What {@link MigrationRunner.down} takes. */
export interface MigrationDownOptions {
  /**
   * Let the reverted migration drop bitemporal tables that hold rows,
   * destroying their history: the migration's transaction runs with
   * `bitemporal.discard_history` on, which is what the guard of
   * `dropTable`/`dropTableSql` asks for. Default `false`: such a drop fails
   * with `HistoryWouldBeLostError` and nothing is reverted.
   */
  readonly discardHistory?: boolean
}

/**
 * Work the library's installer runs in the same transaction as a run's
 * pending migrations (`up` only): `beforePending` before the first one,
 * `afterPending` after the last. Not called when nothing is pending.
 * Internal: `install` applies its function files this way (decision 117).
 */
export interface MigrationRunHooks {
  readonly beforePending: (db: AnyKysely) => Promise<void>
  readonly afterPending: (db: AnyKysely) => Promise<void>
}

export interface MigrationRunResult {
  /** Names of the migrations this call applied (`up`) or reverted (`down`), in order. */
  readonly migrations: readonly string[]
}

/**
 * Applies a folder of migrations with Kysely's `Migrator` (ordering, the
 * record of applied migrations, and the lock that lets many processes start
 * at once), adding what it lacks: `.sql` files, and a checksum per applied
 * migration so that an edited file is reported instead of silently ignored.
 * All pending migrations of one `up` run in one transaction: if one fails,
 * none of them is applied.
 *
 * @example
 * ```ts
 * const runner = new MigrationRunner({ db, folder: 'migrations' })
 * await runner.up()        // { migrations: ['20260101120000_tax_rates'] }
 * await runner.status()    // [{ name: '20260101120000_tax_rates', state: 'applied', ... }]
 * ```
 */
export class MigrationRunner {
  readonly #options: MigrationRunnerOptions
  readonly #schema: string
  readonly #table: string
  readonly #hooks: MigrationRunHooks | undefined

  /** @param hooks internal: for the library's own installer ({@link MigrationRunHooks}). */
  constructor(options: MigrationRunnerOptions, hooks?: MigrationRunHooks) {
    const checked = readOptions(options, 'MigrationRunner', ['db', 'folder', 'schema', 'table', 'allowEdited'], ['db', 'folder'])
    assertDatabase(checked['db'], 'MigrationRunner: db')
    if (typeof checked['folder'] !== 'string' || checked['folder'] === '') {
      throw new InvalidInputError('MigrationRunner: folder must be the path of the migrations folder')
    }
    this.#options = options
    this.#schema = validateIdentifier(options.schema ?? 'bitemporal', 'migration schema')
    this.#table = validateIdentifier(options.table ?? 'migration', 'migration table')
    this.#hooks = hooks
  }

  /** Every migration in the folder or the record, in order, with its state. */
  async status(): Promise<MigrationStatus[]> {
    return describe(await readMigrationFolder(this.#options.folder), await this.#recorded())
  }

  /** Applies every pending migration, in one transaction. */
  async up(): Promise<MigrationRunResult> {
    const files = await this.#checkedFiles()
    return this.#run(files, (migrator) => migrator.migrateToLatest())
  }

  /**
   * Reverts the last applied migration. A `down` that would drop a
   * bitemporal table holding rows fails (the migration is not reverted)
   * unless `discardHistory` is `true`.
   *
   * @example
   * ```ts
   * await runner.down()                            // MigrationFailedError, cause HistoryWouldBeLostError, if it drops rows
   * await runner.down({ discardHistory: true })    // drops them: the operator said so
   * ```
   */
  async down(options: MigrationDownOptions = {}): Promise<MigrationRunResult> {
    const checked = readOptions(options, 'MigrationRunner.down', ['discardHistory'])
    if (checked['discardHistory'] !== undefined && typeof checked['discardHistory'] !== 'boolean') {
      throw new InvalidInputError('MigrationRunner.down: discardHistory must be true or false')
    }
    const files = await this.#checkedFiles()
    return this.#run(files, (migrator) => migrator.migrateDown(), { discardHistory: checked['discardHistory'] === true, reverting: true })
  }

  async #checkedFiles(): Promise<MigrationFile[]> {
    const files = await readMigrationFolder(this.#options.folder)
    const edited = describe(files, await this.#recorded()).filter((m) => m.state === 'edited')
    if (edited.length > 0 && this.#options.allowEdited !== true) {
      const list = edited.map((m) => `"${m.name}" (recorded sha256 ${m.recordedChecksum?.slice(0, 12) ?? '?'}, file ${m.checksum?.slice(0, 12) ?? '?'})`)
      throw new MigrationEditedError(
        `applied migrations were edited after they ran: ${list.join(', ')}. ` +
          'Restore them as they were applied and put the change in a new migration (or pass allowEdited to run anyway).',
        edited.map((m) => m.name),
      )
    }
    return files
  }

  async #run(
    files: readonly MigrationFile[],
    step: (migrator: KyselyMigrator) => Promise<KyselyMigrationResultSet>,
    { discardHistory = false, reverting = false }: { discardHistory?: boolean; reverting?: boolean } = {},
  ): Promise<MigrationRunResult> {
    const migrations: Record<string, KyselyMigration> = {}
    for (const file of files) migrations[file.name] = this.#recording(file, discardHistory)
    if (!reverting) this.#surround(migrations, files)
    const migrator = await createKyselyMigrator({
      db: this.#options.db,
      migrations,
      migrationTableSchema: this.#schema,
      migrationTableName: this.#table,
      migrationLockTableName: `${this.#table}_lock`,
    })
    const { error, results = [] } = await step(migrator)
    if (error !== undefined) {
      const failed = results.find((r) => r.status === 'Error')?.migrationName
      const cause = error instanceof BitemporalError ? error : mapDatabaseError(error)
      const reason = cause.description
      throw new MigrationFailedError(
        failed === undefined
          ? `the migration run failed before any migration ran: ${reason}`
          : reverting
            ? `migration "${failed}" failed, so it was not reverted: ${reason}`
            : `migration "${failed}" failed, so none of this run's migrations was applied: ${reason}`,
        { cause, migration: failed, sqlState: cause.sqlState },
      )
    }
    return Object.freeze({ migrations: Object.freeze(results.filter((r) => r.status === 'Success').map((r) => r.migrationName)) })
  }

  // The checksum is written by the migration itself, so it commits or rolls
  // back with it; the table is created here because this code runs under
  // the Migrator's lock, where concurrent runners cannot race to create it.
  //
  // discardHistory reaches the migration's down as a setting of its
  // transaction (set_config(..., true) ends with it), not as an argument:
  // a down written as dropTable(db, def), or as the SQL of dropTableSql in
  // a .sql file, is let through without being edited.
  #recording(file: MigrationFile, discardHistory: boolean): KyselyMigration {
    const checksums = sql.id(this.#schema, `${this.#table}_checksum`)
    return {
      up: async (db) => {
        await file.migration.up(db)
        await sql`create table if not exists ${checksums} (name varchar(255) primary key, checksum text not null)`.execute(db)
        await sql`insert into ${checksums} (name, checksum) values (${file.name}, ${file.checksum})
          on conflict (name) do update set checksum = excluded.checksum`.execute(db)
      },
      down: async (db) => {
        if (discardHistory) await sql`select set_config(${DISCARD_HISTORY_SETTING}, 'on', true)`.execute(db)
        if (file.migration.down) await file.migration.down(db)
        await sql`delete from ${checksums} where name = ${file.name}`.execute(db)
      },
    }
  }

  // Kysely applies pending migrations in name order, and they are always the
  // last ones (it refuses a pending migration before an applied one), so
  // the first up that runs is the first pending and the last file's up
  // always runs last.
  #surround(migrations: Record<string, KyselyMigration>, files: readonly MigrationFile[]): void {
    const hooks = this.#hooks
    const last = files.at(-1)?.name
    if (hooks === undefined || last === undefined) return
    let started = false
    for (const [name, migration] of Object.entries(migrations)) {
      migrations[name] = {
        ...migration,
        up: async (db) => {
          if (!started) {
            started = true
            await hooks.beforePending(db)
          }
          await migration.up(db)
          if (name === last) await hooks.afterPending(db)
        },
      }
    }
  }

  async #recorded(): Promise<Map<string, { appliedAt: string; checksum: string | undefined }>> {
    const db = this.#options.db
    const qualified = (table: string): string => `"${this.#schema}"."${table}"`
    const { rows: exists } = await sql<{ applied: boolean; checksums: boolean }>`
      select to_regclass(${qualified(this.#table)}) is not null as applied,
             to_regclass(${qualified(`${this.#table}_checksum`)}) is not null as checksums`.execute(db)
    const recorded = new Map<string, { appliedAt: string; checksum: string | undefined }>()
    if (exists[0]?.applied !== true) return recorded
    const checksumJoin = exists[0].checksums
      ? sql`left join ${sql.id(this.#schema, `${this.#table}_checksum`)} c using (name)`
      : sql``
    const checksumColumn = exists[0].checksums ? sql`c.checksum` : sql`null::text`
    const { rows } = await sql<{ name: string; timestamp: string; checksum: string | null }>`
      select m.name, m.timestamp, ${checksumColumn} as checksum
      from ${sql.id(this.#schema, this.#table)} m ${checksumJoin}`.execute(db)
    for (const row of rows) recorded.set(row.name, { appliedAt: row.timestamp, checksum: row.checksum ?? undefined })
    return recorded
  }
}

function describe(
  files: readonly MigrationFile[],
  recorded: ReadonlyMap<string, { appliedAt: string; checksum: string | undefined }>,
): MigrationStatus[] {
  const statuses: MigrationStatus[] = files.map((file) => {
    const record = recorded.get(file.name)
    const state: MigrationState =
      record === undefined ? 'pending' : record.checksum !== undefined && record.checksum !== file.checksum ? 'edited' : 'applied'
    return Object.freeze({ name: file.name, state, appliedAt: record?.appliedAt, checksum: file.checksum, recordedChecksum: record?.checksum })
  })
  const names = new Set(files.map((f) => f.name))
  for (const [name, record] of recorded) {
    if (names.has(name)) continue
    statuses.push(Object.freeze({ name, state: 'missing', appliedAt: record.appliedAt, checksum: undefined, recordedChecksum: record.checksum }))
  }
  return statuses.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}
