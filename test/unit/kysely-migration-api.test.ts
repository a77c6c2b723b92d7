import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { findKyselyMigrator } from '../../src/migrate/kysely-migration-api.js'
import { rejectsWithCode } from '../support/rejects-with-code.js'

// Where the seam finds Kysely's Migrator. The real lines are exercised by the
// integration suite, on 0.28 and (scripts/with-kysely-line.ts) 0.29; these
// cases give it the two layouts and the broken ones directly.

// Stand-ins for the two lines' classes: only their identity matters here.
function RootMigrator(): void {}
function SubpathMigrator(): void {}

describe('findKyselyMigrator', () => {
  it("takes Migrator from 'kysely' when the root exports it (Kysely 0.28), without loading the subpath", async () => {
    let loaded = false
    const found = await findKyselyMigrator({ Migrator: RootMigrator, sql: sql }, () => {
      loaded = true
      return Promise.resolve({ Migrator: SubpathMigrator })
    })
    expect(found).toEqual({ source: 'kysely', migrator: RootMigrator })
    expect(loaded).toBe(false)
  })

  it("takes Migrator from 'kysely/migration' when the root has none (Kysely 0.29)", async () => {
    const found = await findKyselyMigrator({ sql: sql }, () => Promise.resolve({ Migrator: SubpathMigrator, NO_MIGRATIONS: {} }))
    expect(found).toEqual({ source: 'kysely/migration', migrator: SubpathMigrator })
  })

  it('fails with MIGRATION_FAILED naming the supported lines when the subpath cannot be loaded', async () => {
    const missing = Object.assign(new Error("Package subpath './migration' is not defined by \"exports\""), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' })
    const error = await rejectsWithCode(() => findKyselyMigrator({ sql: sql }, () => Promise.reject(missing)), 'MIGRATION_FAILED')
    expect(error.message).toMatch(/'kysely' exports no Migrator and 'kysely\/migration' cannot be loaded.*kysely 0\.28 or 0\.29/)
    expect(error.cause).toBe(missing)
  })

  it('fails with MIGRATION_FAILED when neither place exports a Migrator class', async () => {
    const error = await rejectsWithCode(
      () => findKyselyMigrator({ Migrator: 'not a class' }, () => Promise.resolve({ Migrator: undefined })),
      'MIGRATION_FAILED',
    )
    expect(error.message).toMatch(/neither 'kysely' nor 'kysely\/migration' exports a Migrator/)
  })
})
