import { setTimeout as delay } from 'node:timers/promises'
import { sql } from 'kysely'
import { waitUntilGone } from '../../support/lock-wait.js'
import type { Random } from '../../support/seeded-random.js'
import type { Db } from './load-table.js'
import { WRITER_APPLICATION } from './writer-pool.js'

export interface InjectedFaults {
  /** pg_terminate_backend of one writer, preferably one in the middle of a write. */
  readonly killedOne: number
  /** Every writer backend at once: the pool loses all its connections. */
  readonly killedAll: number
  /** Backends terminated in all. */
  readonly backends: number
}

/**
 * From a connection of its own (`observer`), strikes the writers' backends
 * at random moments until `stop()` is called. Four strikes in five end one
 * writer, chosen among those running a statement or inside a transaction;
 * the fifth ends every writer of the database at once. `stop()` returns
 * once every backend it struck has exited.
 */
export function injectFaults(observer: Db, random: Random, pauseMs: { readonly min: number; readonly max: number }): {
  stop(): Promise<InjectedFaults>
} {
  const faults = { killedOne: 0, killedAll: 0, backends: 0 }
  const struck = new Set<number>()
  let stopped = false
  // A call, not the variable: stop() may flip it during any await of the loop.
  const isStopped = (): boolean => stopped
  const loop = (async () => {
    while (!isStopped()) {
      await delay(pauseMs.min + random() * (pauseMs.max - pauseMs.min))
      if (isStopped()) break
      const all = random() < 0.2
      const { rows } = await sql<{ pid: number; busy: boolean }>`
        select pid, state in ('active', 'idle in transaction') as busy from pg_stat_activity
        where datname = current_database() and application_name = ${WRITER_APPLICATION}`.execute(observer)
      const busy = rows.filter((row) => row.busy)
      const candidates = busy.length > 0 ? busy : rows
      const victims = all ? rows : candidates.slice(Math.floor(random() * candidates.length)).slice(0, 1)
      if (victims.length === 0) continue
      for (const victim of victims) struck.add(victim.pid)
      const { rows: ended } = await sql<{ n: number }>`
        select count(*) filter (where pg_terminate_backend(pid))::int as n from unnest(${victims.map((row) => row.pid)}::integer[]) as pid`.execute(observer)
      faults.backends += ended[0]?.n ?? 0
      if (all) faults.killedAll++
      else faults.killedOne++
    }
  })()
  return {
    async stop() {
      stopped = true
      await loop
      // A strike sent just before stop() may still be on its way: the storm is
      // over only when every backend it struck has exited.
      await waitUntilGone(observer, [...struck])
      return faults
    },
  }
}
