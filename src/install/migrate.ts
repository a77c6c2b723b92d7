import { install } from './install.js'
import { type MigrationRunResult, MigrationRunner, type MigrationRunnerOptions } from '../migrate/migration-runner.js'

/**
 * Installs the library's SQL ({@link install}) and applies every pending
 * migration of `folder`. Safe to call from every process at start-up: each
 * migration is applied exactly once.
 *
 * @example
 * ```ts
 * await migrate({ db, folder: new URL('../migrations', import.meta.url).pathname })
 * ```
 */
export async function migrate(options: MigrationRunnerOptions): Promise<MigrationRunResult> {
  // Checked before install runs, so bad options change nothing.
  const runner = new MigrationRunner(options)
  await install(options.db)
  return runner.up()
}
