export type { KyselyMigration } from './kysely-migration-api.js'
export { type MigrationFile, readMigrationFolder } from './migration-file.js'
export {
  type MigrationDownOptions,
  type MigrationRunnerOptions,
  type MigrationRunResult,
  MigrationRunner,
  type MigrationState,
  type MigrationStatus,
} from './migration-runner.js'
