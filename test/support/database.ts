import { afterAll, beforeAll, inject } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../src/testing/index.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the server test/global-setup.ts started or found. */
    bitemporalTestUrl: string
  }
}

/**
 * Gives the calling test file its own empty database: created in
 * `beforeAll`, dropped in `afterAll`. Call it at the top of the file (or of
 * a `describe`) and call the returned getter inside tests and hooks.
 *
 * @example
 * ```ts
 * const database = useTestDatabase()
 *
 * test('creates a table', async () => {
 *   await database().db.schema.createTable('t').addColumn('id', 'integer').execute()
 * })
 * ```
 */
export function useTestDatabase(): () => TestDatabase {
  let database: TestDatabase | undefined
  beforeAll(async () => {
    // Undefined when the file runs without the integration global setup; createTestDatabase then reads the environment.
    const url = inject('bitemporalTestUrl') as string | undefined
    database = await createTestDatabase(url === undefined ? {} : { url })
  })
  afterAll(async () => {
    await database?.drop()
  })
  return () => {
    if (database === undefined) {
      throw new Error('useTestDatabase(): the database exists only once beforeAll has run; call the getter inside tests or hooks.')
    }
    return database
  }
}
