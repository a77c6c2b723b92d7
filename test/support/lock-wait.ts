import { setTimeout as delay } from 'node:timers/promises'
import { type Kysely, sql } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw SQL on the catalog
type Db = Kysely<any>

/** A promise whose settlement can be checked without awaiting it. */
export interface Tracked<T> {
  readonly promise: Promise<T>
  settled(): boolean
}

/** Starts watching `promise`; its rejection stays observable through `tracked.promise`. */
export function track<T>(promise: Promise<T>): Tracked<T> {
  let done = false
  promise.then(
    () => (done = true),
    () => (done = true),
  )
  return { promise, settled: () => done }
}

/** The server process id of the only connection of `db` (a pool of one). */
export async function backendPid(db: Db): Promise<number> {
  const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)
  const pid = rows[0]?.pid
  if (pid === undefined) throw new Error('pg_backend_pid() returned no row')
  return pid
}

/** What {@link blockedOrSettled} saw first. */
export type Outcome = { readonly state: 'blocked'; readonly blockers: readonly number[] } | { readonly state: 'settled' }

/**
 * Watches backend `pid` from another connection (`observer`) until it waits
 * for a heavyweight lock (`pg_stat_activity.wait_event_type = 'Lock'`), or
 * until `pending` (the work that runs on `pid`) settles. Returns which came
 * first and, when blocked, the pids holding the lock (`pg_blocking_pids`).
 * The polling pause is only pacing; nothing is decided by elapsed time.
 */
export async function blockedOrSettled(observer: Db, pid: number, pending: Tracked<unknown>): Promise<Outcome> {
  for (;;) {
    const { rows } = await sql<{ wait_event_type: string | null; blockers: number[] | null }>`
      select wait_event_type, pg_blocking_pids(pid) as blockers from pg_stat_activity where pid = ${pid}`.execute(observer)
    const row = rows[0]
    if (row?.wait_event_type === 'Lock') return { state: 'blocked', blockers: row.blockers ?? [] }
    if (pending.settled()) return { state: 'settled' }
    await delay(2)
  }
}

/** Like {@link blockedOrSettled}, but failing if `pending` settles without ever waiting for a lock. */
export async function waitUntilBlocked(observer: Db, pid: number, pending: Tracked<unknown>): Promise<readonly number[]> {
  const outcome = await blockedOrSettled(observer, pid, pending)
  if (outcome.state === 'settled') throw new Error(`backend ${String(pid)}'s work finished without waiting for a lock`)
  return outcome.blockers
}

/** Waits until no backend of `pids` is left: the process has exited, whatever it was doing. */
export async function waitUntilGone(observer: Db, pids: readonly number[]): Promise<void> {
  for (;;) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where pid = any(${[...pids]}::integer[])`.execute(observer)
    if (rows[0]?.n === 0) return
    await delay(5)
  }
}
