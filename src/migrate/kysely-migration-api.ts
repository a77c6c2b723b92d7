import * as kyselyRoot from 'kysely'
import type { AnyKysely } from '../any-kysely.js'
import { MigrationFailedError } from '../errors/errors.js'

// The one place that knows where Kysely keeps its migration API. Kysely 0.28
// exports `Migrator` from 'kysely'; 0.29 moved it to 'kysely/migration',
// which 0.28 does not have. The library supports both lines (peer range
// `>=0.28.0 <0.30`), so this file finds the class at run time and declares
// the few shapes the library uses itself: no emitted declaration names a
// Kysely migration export that one of the lines lacks (0.29's root
// `Migration` is a deprecation error type, not the interface).

/**
 * A migration as Kysely's `Migrator` runs it: the same shape on Kysely 0.28
 * and 0.29, declared here so that it does not depend on where either line
 * exports its own `Migration` type.
 *
 * @example
 * ```ts
 * const migration: KyselyMigration = {
 *   up: async (db) => { await sql`create table t (id int)`.execute(db) },
 *   down: async (db) => { await sql`drop table t`.execute(db) },
 * }
 * ```
 */
export interface KyselyMigration {
  up(db: AnyKysely): Promise<void>
  down?(db: AnyKysely): Promise<void>
}

/** One migration's outcome in a run, as Kysely's `Migrator` reports it. */
export interface KyselyMigrationResult {
  readonly migrationName: string
  readonly direction: 'Up' | 'Down'
  readonly status: 'Success' | 'Error' | 'NotExecuted'
}

/** What a `Migrator` run resolves to: `error` is set when the run failed. */
export interface KyselyMigrationResultSet {
  readonly error?: unknown
  readonly results?: readonly KyselyMigrationResult[]
}

/** What {@link createKyselyMigrator} takes: the subset of Kysely's `MigratorProps` the library passes. */
export interface KyselyMigratorOptions {
  readonly db: AnyKysely
  readonly migrations: Readonly<Record<string, KyselyMigration>>
  readonly migrationTableSchema: string
  readonly migrationTableName: string
  readonly migrationLockTableName: string
}

/** The methods of Kysely's `Migrator` the library calls. */
export interface KyselyMigrator {
  migrateToLatest(): Promise<KyselyMigrationResultSet>
  migrateDown(): Promise<KyselyMigrationResultSet>
}

/** Where the `Migrator` class was found: the root module (Kysely 0.28) or the subpath (0.29). */
export type KyselyMigratorSource = 'kysely' | 'kysely/migration'

type MigratorConstructor = new (props: {
  db: AnyKysely
  provider: { getMigrations(): Promise<Record<string, KyselyMigration>> }
  migrationTableSchema: string
  migrationTableName: string
  migrationLockTableName: string
}) => KyselyMigrator

interface FoundMigrator {
  readonly source: KyselyMigratorSource
  readonly migrator: MigratorConstructor
}

// A variable, not a literal: TypeScript compiled against Kysely 0.28 (whose
// package has no such subpath) must not try to resolve it.
const MIGRATION_SUBPATH: string = 'kysely/migration'

let found: Promise<FoundMigrator> | undefined

/**
 * Finds Kysely's `Migrator`: first in `root` (Kysely 0.28), then in the
 * module `loadSubpath` returns (Kysely 0.29's 'kysely/migration'). Takes
 * both as arguments so that the choice can be tested on its own.
 *
 * @example
 * ```ts
 * const { source, migrator } = await findKyselyMigrator(await import('kysely'), () => import('kysely/migration'))
 * ```
 */
export async function findKyselyMigrator(root: object, loadSubpath: () => Promise<unknown>): Promise<FoundMigrator> {
  const fromRoot = (root as Record<string, unknown>)['Migrator']
  if (typeof fromRoot === 'function') return { source: 'kysely', migrator: fromRoot as MigratorConstructor }
  let subpath: unknown
  try {
    subpath = await loadSubpath()
  } catch (error) {
    throw unsupported(`'kysely' exports no Migrator and 'kysely/migration' cannot be loaded`, error)
  }
  const fromSubpath = typeof subpath === 'object' && subpath !== null ? (subpath as Record<string, unknown>)['Migrator'] : undefined
  if (typeof fromSubpath === 'function') return { source: 'kysely/migration', migrator: fromSubpath as MigratorConstructor }
  throw unsupported(`neither 'kysely' nor 'kysely/migration' exports a Migrator`, undefined)
}

function unsupported(what: string, cause: unknown): MigrationFailedError {
  return new MigrationFailedError(
    `the installed kysely is not one this library supports (${what}); install kysely 0.28 or 0.29 (npm i kysely@^0.29)`,
    { cause },
  )
}

function installedMigrator(): Promise<FoundMigrator> {
  found ??= findKyselyMigrator(kyselyRoot, () => import(MIGRATION_SUBPATH)).catch((error: unknown) => {
    // Not remembered: a later call looks again rather than repeating a failure.
    found = undefined
    throw error
  })
  return found
}

/**
 * Where the installed Kysely keeps its `Migrator`: `'kysely'` on 0.28,
 * `'kysely/migration'` on 0.29.
 *
 * @example
 * ```ts
 * await kyselyMigratorSource() // 'kysely/migration' with kysely@0.29 installed
 * ```
 */
export async function kyselyMigratorSource(): Promise<KyselyMigratorSource> {
  return (await installedMigrator()).source
}

/**
 * Makes a Kysely `Migrator` over a fixed set of migrations, from whichever
 * Kysely line is installed.
 *
 * @example
 * ```ts
 * const migrator = await createKyselyMigrator({
 *   db, migrations: { '0001_init': { up: async (db) => { ... } } },
 *   migrationTableSchema: 'bitemporal', migrationTableName: 'migration', migrationLockTableName: 'migration_lock',
 * })
 * const { error, results } = await migrator.migrateToLatest()
 * ```
 */
export async function createKyselyMigrator(options: KyselyMigratorOptions): Promise<KyselyMigrator> {
  const { migrator: Migrator } = await installedMigrator()
  const migrations = { ...options.migrations }
  return new Migrator({
    db: options.db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
    migrationTableSchema: options.migrationTableSchema,
    migrationTableName: options.migrationTableName,
    migrationLockTableName: options.migrationLockTableName,
  })
}
