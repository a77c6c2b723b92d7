import type { HistoryVersion } from '../../src/render/index.js'

// Hand-made histories for the render tests: the tax-rate story of
// docs/semantics.md §3 after step 2 and after step 4, system times hours apart.

export const taxKey = Object.freeze({ state_id: 1, tax_type: 'income_tax' })
export const T1 = '2023-10-16T09:30:00.000000Z'
export const T2 = '2023-10-17T14:05:00.000000Z'
export const T3 = '2023-11-02T08:15:00.000000Z'
export const T4 = '2023-12-01T16:45:00.000000Z'

/** A frozen version of `key` (default: the tax-rate key) with `{ rate }`. */
export function rateVersion(
  rate: string,
  effective: readonly [string, string | null],
  system: readonly [string, string | null],
  key: Readonly<Record<string, unknown>> = taxKey,
): HistoryVersion {
  return Object.freeze({
    key,
    values: Object.freeze({ rate }),
    effective: Object.freeze({ from: effective[0], to: effective[1] }),
    system: Object.freeze({ from: system[0], to: system[1] }),
  })
}

/** history(key) after step 2, the correction. */
export const afterCorrection: readonly HistoryVersion[] = Object.freeze([
  rateVersion('0.15', ['2023-01-01', null], [T1, T2]),
  rateVersion('0.19', ['2023-01-01', null], [T2, null]),
])

/** history(key) after step 4, the future change: every kind of box (current, superseded, open and closed ends). */
export const afterFutureChange: readonly HistoryVersion[] = Object.freeze([
  rateVersion('0.15', ['2023-01-01', null], [T1, T2]),
  rateVersion('0.19', ['2023-01-01', null], [T2, T4]),
  rateVersion('0.14', ['2022-12-01', '2023-01-01'], [T3, null]),
  rateVersion('0.19', ['2023-01-01', '2023-02-01'], [T4, null]),
  rateVersion('0.25', ['2023-02-01', null], [T4, null]),
])
