import { describeValue } from '../errors/describe-value.js'
import { InvalidInputError } from '../errors/errors.js'
import type { EffectiveRange, SystemRange } from '../codec/decode-version.js'
import { isPlainObject } from '../values/is-plain-object.js'
import { type TimePoint, timePoint } from './time-point.js'

/**
 * What {@link renderHistory} draws: anything shaped like a `Version` of a
 * repository (`history(key)`, `timeline(key)`), or a hand-made array of them.
 */
export interface HistoryVersion {
  readonly key: Readonly<Record<string, unknown>>
  readonly values: Readonly<Record<string, unknown>>
  readonly effective: EffectiveRange
  readonly system: SystemRange
}

/** A version with its bounds read: `to` `null` when unbounded. */
export interface CheckedVersion<V extends HistoryVersion = HistoryVersion> {
  readonly version: V
  readonly effective: { readonly from: TimePoint; readonly to: TimePoint | null }
  readonly system: { readonly from: TimePoint; readonly to: TimePoint | null }
}

/**
 * Checks that `versions` is an array of Version-like objects of one key,
 * each with non-empty ranges, before anything is drawn.
 *
 * @throws {InvalidInputError} naming the first offending element.
 */
export function checkVersions<V extends HistoryVersion>(versions: unknown): readonly CheckedVersion<V>[] {
  if (!Array.isArray(versions)) {
    throw new InvalidInputError(`renderHistory: versions must be an array of versions, e.g. await repository.history(key), got ${describeValue(versions)}`)
  }
  const checked = (versions as readonly unknown[]).map((version, index) => checkVersion<V>(version, index))
  const [first] = checked
  if (first !== undefined) {
    const firstKey = keyText(first.version.key)
    const other = checked.find((candidate) => keyText(candidate.version.key) !== firstKey)
    if (other !== undefined) {
      // One band per key would draw unrelated system times on one axis; a
      // history is the story of one entity, as history(key) returns it.
      throw new InvalidInputError(
        `renderHistory: versions[${checked.indexOf(other)}] has key ${keyText(other.version.key)} but versions[0] has ${firstKey}; render one key's history at a time`,
      )
    }
  }
  return Object.freeze(checked)
}

function checkVersion<V extends HistoryVersion>(version: unknown, index: number): CheckedVersion<V> {
  const at = `versions[${index}]`
  if (!isPlainObject(version)) {
    throw new InvalidInputError(`renderHistory: ${at} must be a version { key, values, effective, system }, got ${describeValue(version)}`)
  }
  for (const part of ['key', 'values', 'effective', 'system'] as const) {
    if (!isPlainObject(version[part])) {
      throw new InvalidInputError(`renderHistory: ${at}.${part} must be an object, got ${describeValue(version[part])}`)
    }
  }
  const effective = checkRange(version['effective'] as Record<string, unknown>, `${at}.effective`)
  const system = checkRange(version['system'] as Record<string, unknown>, `${at}.system`)
  return Object.freeze({ version: version as unknown as V, effective, system })
}

function checkRange(range: Record<string, unknown>, what: string): CheckedVersion['effective'] {
  const from = timePoint(range['from'], `${what}.from`)
  const to = range['to'] === null ? null : timePoint(range['to'], `${what}.to`)
  if (to !== null && to.micros <= from.micros) {
    throw new InvalidInputError(`renderHistory: ${what} [${from.text}, ${to.text}) is ${to.micros === from.micros ? 'empty' : 'reversed'}`)
  }
  return Object.freeze({ from, to })
}

/** A key as `state_id=1, tax_type=income_tax`, the same whatever the order of its properties. */
export function keyText(key: Readonly<Record<string, unknown>>): string {
  return Object.keys(key)
    .sort()
    .map((name) => `${name}=${valueText(key[name])}`)
    .join(', ')
}

/** A value as a label shows it: strings bare, `null` as `null`, days and instants as ISO text. */
export function valueText(value: unknown): string {
  if (typeof value === 'string') return value
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (value === null || value === undefined) return 'null'
  return JSON.stringify(value, (_, nested: unknown) => (typeof nested === 'bigint' ? nested.toString() : nested))
}
