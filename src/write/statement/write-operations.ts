import type { WriteOperation } from '../write-operation.js'

/**
 * What a write's target parameter is and which current versions it reaches
 * (those `found` reads and the re-check looks at again):
 *
 * - `'range'`: the target is a range; versions overlapping it;
 * - `'from'`: the target is a point; versions ending after it (the rest of the timeline);
 * - `'point'`: the target is a point; the version covering it.
 */
export type Reach = 'range' | 'from' | 'point'

/**
 * The portion the write changes: the target range as given, or derived
 * from the versions found (`'toNextChange'`: from the point to the end of
 * the version covering it or, in a gap, to the start of the next version,
 * unbounded when there is none; `'foundVersion'`: the one version found).
 */
export type PortionSource = 'target' | 'toNextChange' | 'foundVersion'

/**
 * The values a version carries after the write: `'replace'` gives exactly
 * the values written (an omitted column gets its default, else null);
 * `'patch'` changes the values written and keeps the others.
 */
export type NewValues = 'replace' | 'patch'

/**
 * Which found versions count as changing (and so are closed and replaced):
 * `'always'` every one in the portion, `'never'` none, `'valuesDiffer'`
 * those whose values the write changes.
 */
export type Change = 'always' | 'never' | 'valuesDiffer'

/**
 * The rows the write inserts inside the portion, besides the leftovers of
 * the replaced versions outside it:
 *
 * - `'none'`: nothing (the portion becomes a gap);
 * - `'newVersion'`: one version with the values written, over the portion;
 * - `'fillPortion'`: the values written over the whole portion, across versions
 *   and gaps, except where a version already has them;
 * - `'patchedInPortion'`: each replaced version, patched, over its part of the portion;
 * - `'patchedVersion'`: each replaced version, patched, over its whole range.
 */
export type InsideRows = 'none' | 'newVersion' | 'fillPortion' | 'patchedInPortion' | 'patchedVersion'

/** Why an operation refuses, writing nothing: a version in its way, or none to change. */
export type Refusal = 'overlapping' | 'not_found'

/** One write operation as data: the statement builder reads nothing else about it. */
export interface OperationShape {
  readonly reach: Reach
  readonly portion: PortionSource
  readonly newValues: NewValues
  readonly changes: Change
  /** Whether the parts of the replaced versions outside the portion are inserted again. */
  readonly keepsLeftovers: boolean
  readonly inside: InsideRows
  /** Refused when any version is found (`'overlapping'`) or none is (`'not_found'`). */
  readonly refuses: Refusal | undefined
}

/**
 * The six writes of docs/semantics.md §3, each described by what it
 * reaches, how its portion is derived, what counts as a change, what it
 * inserts inside the portion and what it refuses.
 *
 * @example
 * ```ts
 * WRITE_OPERATIONS.update.inside // 'patchedInPortion'
 * WRITE_OPERATIONS.insert.refuses // 'overlapping'
 * ```
 */
export const WRITE_OPERATIONS: Readonly<Record<WriteOperation, OperationShape>> = Object.freeze({
  insert: { reach: 'range', portion: 'target', newValues: 'replace', changes: 'never', keepsLeftovers: false, inside: 'newVersion', refuses: 'overlapping' },
  set: { reach: 'range', portion: 'target', newValues: 'replace', changes: 'valuesDiffer', keepsLeftovers: true, inside: 'fillPortion', refuses: undefined },
  setFrom: { reach: 'from', portion: 'toNextChange', newValues: 'replace', changes: 'valuesDiffer', keepsLeftovers: true, inside: 'fillPortion', refuses: undefined },
  update: { reach: 'range', portion: 'target', newValues: 'patch', changes: 'valuesDiffer', keepsLeftovers: true, inside: 'patchedInPortion', refuses: undefined },
  correct: { reach: 'point', portion: 'foundVersion', newValues: 'patch', changes: 'valuesDiffer', keepsLeftovers: true, inside: 'patchedVersion', refuses: 'not_found' },
  delete: { reach: 'range', portion: 'target', newValues: 'patch', changes: 'always', keepsLeftovers: true, inside: 'none', refuses: undefined },
})
