import { resolve } from 'node:path'
import { install } from '../install/install.js'
import { MigrationRunner } from '../migrate/migration-runner.js'
import type { CliIo } from './cli-io.js'
import { databaseUrl } from './database-url.js'
import { formatStatusTable } from './format-status-table.js'
import { databaseTarget, openDatabase } from './open-database.js'
import type { MigrateCommand } from './parse-command.js'
import { ACTION_USAGE } from './usage.js'

/**
 * Runs `bitemporal migrate up|down|status` against the database of `--url`
 * or `DATABASE_URL`. The connection is closed before this returns or throws.
 *
 * @returns the exit code: 0, or 1 when `status` finds edited or missing migrations.
 * @throws {UsageError} when there is no database URL.
 * @throws {ConnectionError} when the database cannot be reached.
 * @throws {BitemporalError} when the runner fails (`MIGRATION_FAILED`, `MIGRATION_EDITED`, ...),
 *   including a `down` that would drop a bitemporal table holding rows
 *   without `--discard-history` (`MIGRATION_FAILED`, its cause `HISTORY_WOULD_BE_LOST`).
 */
export async function migrateCommand(command: MigrateCommand, io: CliIo): Promise<number> {
  const usage = ACTION_USAGE[command.action]
  const url = databaseUrl(command.url, io, usage)
  const target = databaseTarget(url, usage)
  const folder = resolve(io.cwd ?? process.cwd(), command.folder)

  const db = await openDatabase(url, target)
  try {
    const runner = new MigrationRunner({
      db,
      folder,
      allowEdited: command.allowEdited,
      ...(command.schema === undefined ? {} : { schema: command.schema }),
      ...(command.table === undefined ? {} : { table: command.table }),
    })
    switch (command.action) {
      case 'up': {
        const installed = await install(db)
        for (const version of installed.applied) io.stdout(`installed library SQL ${version}\n`)
        const { migrations } = await runner.up()
        for (const name of migrations) io.stdout(`applied ${name}\n`)
        if (migrations.length === 0) io.stdout('nothing to apply\n')
        return 0
      }
      case 'down': {
        const { migrations } = await runner.down({ discardHistory: command.discardHistory })
        for (const name of migrations) io.stdout(`reverted ${name}\n`)
        if (migrations.length === 0) io.stdout('nothing to revert\n')
        return 0
      }
      case 'status': {
        const statuses = await runner.status()
        if (statuses.length === 0) {
          io.stdout(`no migrations in ${folder}\n`)
          return 0
        }
        io.stdout(formatStatusTable(statuses))
        const edited = statuses.filter((s) => s.state === 'edited').map((s) => s.name)
        const missing = statuses.filter((s) => s.state === 'missing').map((s) => s.name)
        if (edited.length > 0) {
          io.stderr(`edited after they were applied: ${edited.join(', ')}; restore them and put the change in a new migration\n`)
        }
        if (missing.length > 0) {
          io.stderr(`applied but their files are gone: ${missing.join(', ')}; restore them, or check --folder\n`)
        }
        return edited.length > 0 || missing.length > 0 ? 1 : 0
      }
    }
  } finally {
    await db.destroy()
  }
}
