import type { TestProject } from 'vitest/node'
import { startTestServer } from '../src/testing/index.js'

/**
 * One PostgreSQL for the whole `integration` run; each test file makes its
 * own database on it with `useTestDatabase()`.
 *
 * The URL goes out twice: `provide` is vitest's documented channel to
 * workers, and the environment variable lets `createTestDatabase()` with no
 * arguments work too (workers are created after this runs and inherit it).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startTestServer()
  process.env['BITEMPORAL_TEST_URL'] = server.url
  project.provide('bitemporalTestUrl', server.url)
  process.stderr.write(`bitemporal tests: PostgreSQL ${server.serverVersion} (${server.source})\n`)
  return async () => {
    delete process.env['BITEMPORAL_TEST_URL']
    await server.stop()
  }
}
