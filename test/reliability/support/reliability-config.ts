/**
 * How hard the reliability suite pushes. The bounded form runs in CI (well
 * under two minutes in all); `BITEMPORAL_RELIABILITY=full` is the form whose
 * figures docs/reliability.md quotes. Durations are load parameters: nothing
 * asserts on how long anything took.
 */
export interface ReliabilityConfig {
  readonly form: 'bounded' | 'full'
  /** Concurrent writers, each with a connection of its own. */
  readonly workers: number
  /** How long the load scenario writes. */
  readonly loadMs: number
  /** How long the faults scenario writes while faults are injected. */
  readonly faultsMs: number
  /** Server stops and starts in the restart scenario. */
  readonly restarts: number
  /** Writing time before the first and between restarts. */
  readonly restartIntervalMs: number
  /** Keys every worker keeps hitting (contention) and keys rarely touched twice. */
  readonly hotKeys: number
  readonly coldKeys: number
  /** Seed of the writers' random draws; a failing run can be replayed with the same seed. */
  readonly seed: number
}

const BOUNDED: ReliabilityConfig = {
  form: 'bounded',
  workers: 8,
  loadMs: 15_000,
  faultsMs: 10_000,
  restarts: 2,
  restartIntervalMs: 3_000,
  hotKeys: 4,
  coldKeys: 500,
  seed: 20_240_101,
}

const FULL: ReliabilityConfig = {
  form: 'full',
  workers: 16,
  loadMs: 120_000,
  faultsMs: 60_000,
  restarts: 6,
  restartIntervalMs: 8_000,
  hotKeys: 8,
  coldKeys: 5_000,
  seed: 20_240_101,
}

/** Reads `BITEMPORAL_RELIABILITY` (`bounded`, the default, or `full`) and optional overrides. */
export function reliabilityConfig(env: NodeJS.ProcessEnv = process.env): ReliabilityConfig {
  const form = env['BITEMPORAL_RELIABILITY'] ?? 'bounded'
  if (form !== 'bounded' && form !== 'full') {
    throw new Error(`BITEMPORAL_RELIABILITY must be "bounded" or "full", not ${JSON.stringify(form)}`)
  }
  const base = form === 'full' ? FULL : BOUNDED
  return {
    ...base,
    workers: positive(env, 'BITEMPORAL_RELIABILITY_WORKERS') ?? base.workers,
    seed: positive(env, 'BITEMPORAL_RELIABILITY_SEED') ?? base.seed,
  }
}

function positive(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name]
  if (text === undefined || text === '') return undefined
  const value = Number(text)
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, not ${JSON.stringify(text)}`)
  return value
}
