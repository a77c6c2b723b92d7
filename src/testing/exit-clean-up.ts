import type { ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { isRunning } from './postgres-process.js'

/** What to clean up if the process ends while a server still runs. */
export interface Leftover {
  /** The server's temporary folder. */
  readonly folder: string
  /** Its postgres process, once there is one. */
  readonly child: () => ChildProcess | undefined
}

const leftovers = new Set<Leftover>()
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/**
 * Removes `leftover` if the process exits or gets SIGINT, SIGTERM or SIGHUP
 * before {@link forget} is called: the last resort, so that a test run
 * stopped with Ctrl-C leaves no server running and no folder behind.
 * Listeners are on the process only while something is remembered.
 *
 * @example
 * ```ts
 * const leftover = { folder, child: () => undefined }
 * removeOnExit(leftover)
 * // ... start, use and stop the server ...
 * forget(leftover)
 * ```
 */
export function removeOnExit(leftover: Leftover): void {
  if (leftovers.size === 0) {
    process.on('exit', cleanUpNow)
    for (const signal of SIGNALS) process.on(signal, onSignal)
  }
  leftovers.add(leftover)
}

/** Undoes {@link removeOnExit} for a server that was stopped and removed. */
export function forget(leftover?: Leftover): void {
  if (leftover !== undefined) leftovers.delete(leftover)
  if (leftovers.size === 0) {
    process.off('exit', cleanUpNow)
    for (const signal of SIGNALS) process.off(signal, onSignal)
  }
}

/** Synchronous, as the 'exit' event requires. */
function cleanUpNow(): void {
  for (const { folder, child } of leftovers) {
    const running = child()
    // Immediate shutdown: no checkpoint written into a folder about to go.
    if (isRunning(running)) running.kill('SIGQUIT')
    rmSync(folder, { recursive: true, force: true })
  }
  leftovers.clear()
  forget()
}

function onSignal(signal: NodeJS.Signals): void {
  cleanUpNow()
  // Nobody else handles it: do what the signal would have done without us.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
}
