/**
 * A reference model of the writes of docs/semantics.md §3 on ONE key's current
 * timeline, over a small discrete valid-time domain: the days 2023-01-01
 * (index 0) … 2023-03-01 (index 59).
 *
 * Days are integers. A version (row) is `[from, to)` with `from` a day index
 * and `to` a day index or {@link END}, a sentinel one day beyond the domain
 * that stands for "unbounded". Every bound a write can name is ≤ 59 < END, so
 * the sentinel behaves like +∞ in every comparison the model makes, and the
 * content of the timeline is constant from day 59 on: day 59 represents
 * "day 59 and every later day" when contents are compared.
 *
 * The model is written day by day (no interval arithmetic to get wrong), and
 * it mirrors the library's rule about how the timeline is cut into rows (see
 * `src/write/write-sql.ts`), because the next change point of the timeline
 * change (`set` without `to`) depends on the rows, not only on the content:
 *
 * - a write never closes a version whose values it would leave unchanged;
 * - a version it changes is closed, and its parts outside the portion are
 *   re-inserted with the old values (leftovers: at most one before the
 *   portion, one after);
 * - `set`: the portion minus the versions that already have exactly the
 *   values becomes new rows, one per maximal run of days;
 * - `update`, `correct`: each changed version's part inside the portion
 *   (for `correct`, the whole version) becomes one row with the patched values;
 * - `delete`: the changed (= every overlapped) version's leftovers only;
 * - `insert`: one new row, or `OVERLAP` if any current version overlaps.
 *
 * A failed write (`OVERLAP`, `NOT_FOUND`) changes nothing.
 */

/** Values of a version: column → value (a full row, every column present). */
export type ModelValues = Readonly<Record<string, string | null>>

/** One current version of the model. */
export interface ModelRow {
  readonly from: number
  /** A day index, or {@link END} for unbounded. */
  readonly to: number
  readonly values: ModelValues
}

/** A row as the library reports it: `'YYYY-MM-DD'` bounds, `null` for unbounded. */
export interface ModelVersion {
  readonly from: string
  readonly to: string | null
  readonly values: ModelValues
}

/** What a write did to the model. */
export type ModelOutcome =
  | {
      readonly ok: true
      /** Whether the content (day → values | absent) of the timeline changed. */
      readonly contentChanged: boolean
      /** Rows the write closes. */
      readonly closed: number
      /** Rows the write inserts. */
      readonly inserted: number
    }
  | { readonly ok: false; readonly code: 'OVERLAP' | 'NOT_FOUND' }

const MONTH_LENGTHS_2023 = [31, 28, 31] as const

/** `DAYS[i]` is the date string of day index `i`: 2023-01-01 … 2023-03-01, and 2023-03-02 at {@link END}. */
export const DAYS: readonly string[] = (() => {
  const days: string[] = []
  MONTH_LENGTHS_2023.forEach((length, month) => {
    for (let day = 1; day <= length; day++) {
      days.push(`2023-${String(month + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`)
    }
  })
  return days.slice(0, 61)
})()

/** The last day index a write may name (2023-03-01). */
export const LAST_DAY = 59
/** The sentinel upper bound that means "unbounded". */
export const END = 60

/** The date string of a day index. */
export function day(index: number): string {
  const text = DAYS[index]
  if (text === undefined || index > LAST_DAY) throw new Error(`day index ${index} is outside the model's domain 0..${LAST_DAY}`)
  return text
}

/** The day index of a date string of the domain. */
export function dayIndex(text: string): number {
  const index = DAYS.indexOf(text)
  if (index < 0 || index > LAST_DAY) throw new Error(`${text} is outside the model's domain`)
  return index
}

/** Whether two value records are equal (same columns, same values). */
export function sameValues(a: ModelValues, b: ModelValues): boolean {
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k])
}

/** Every day of `[from, to)` that the model distinguishes (days beyond 59 are all like day 59). */
function daysOf(from: number, to: number): number[] {
  const days: number[] = []
  for (let d = from; d < Math.min(to, END); d++) days.push(d)
  return days
}

const covers = (row: ModelRow, d: number): boolean => row.from <= d && d < row.to
const overlaps = (row: ModelRow, from: number, to: number): boolean => row.from < to && from < row.to

/** The current timeline of one key, as rows. */
export class TimelineModel {
  #rows: ModelRow[] = []

  /** The current rows, ordered by effective start. */
  rows(): readonly ModelRow[] {
    return [...this.#rows].sort((a, b) => a.from - b.from)
  }

  /** The current rows as the library reports them. */
  versions(): ModelVersion[] {
    return this.rows().map((row) => ({ from: day(row.from), to: row.to === END ? null : day(row.to), values: row.values }))
  }

  /** The content: for each day index 0..59, the values valid that day, or `undefined` (absent). */
  content(): (ModelValues | undefined)[] {
    return daysOf(0, END).map((d) => this.#rows.find((row) => covers(row, d))?.values)
  }

  /** `insert(key, {from, to?}, values)`. */
  insert(from: number, to: number | undefined, values: ModelValues): ModelOutcome {
    const end = checkPortion(from, to)
    if (this.#rows.some((row) => overlaps(row, from, end))) return { ok: false, code: 'OVERLAP' }
    return this.#apply([], [{ from, to: end, values }], (d, old) => (d >= from && d < end ? values : old))
  }

  /** `set(key, {from, to}, values)` with both bounds. */
  set(from: number, to: number, values: ModelValues): ModelOutcome {
    return this.#set(from, checkPortion(from, to), values)
  }

  /**
   * `set(key, {from}, values)`, the timeline change: `to` is the end of the
   * version that covers `from`, or, in a gap, the start of the next version,
   * or unbounded when there is none.
   */
  setFrom(from: number, values: ModelValues): ModelOutcome {
    checkPortion(from, undefined)
    const covering = this.#rows.find((row) => covers(row, from))
    const next = this.#rows.filter((row) => row.from > from).map((row) => row.from)
    const to = covering !== undefined ? covering.to : next.length > 0 ? Math.min(...next) : END
    return this.#set(from, to, values)
  }

  /** `update(key, {from, to?}, patch)`: `FOR PORTION OF`; gaps stay gaps. */
  update(from: number, to: number | undefined, patch: ModelValues): ModelOutcome {
    const end = checkPortion(from, to)
    const closed: ModelRow[] = []
    const inserted: ModelRow[] = []
    for (const row of this.#rows) {
      if (!overlaps(row, from, end)) continue
      const patched = { ...row.values, ...patch }
      if (sameValues(patched, row.values)) continue
      closed.push(row)
      inserted.push(...leftovers(row, from, end), { from: Math.max(row.from, from), to: Math.min(row.to, end), values: patched })
    }
    return this.#apply(closed, inserted, (d, old) => (d >= from && d < end && old !== undefined ? { ...old, ...patch } : old))
  }

  /** `correct(key, {at}, patch)`: the version valid at `at` gets the patch over its whole range. */
  correct(at: number, patch: ModelValues): ModelOutcome {
    checkPortion(at, undefined)
    const row = this.#rows.find((r) => covers(r, at))
    if (row === undefined) return { ok: false, code: 'NOT_FOUND' }
    const patched = { ...row.values, ...patch }
    const demanded = (d: number, old: ModelValues | undefined): ModelValues | undefined => (covers(row, d) ? patched : old)
    if (sameValues(patched, row.values)) return this.#apply([], [], demanded)
    return this.#apply([row], [{ from: row.from, to: row.to, values: patched }], demanded)
  }

  /** `delete(key, {from, to?})`: validity is removed over the portion; leftovers remain. */
  delete(from: number, to: number | undefined): ModelOutcome {
    const end = checkPortion(from, to)
    const closed = this.#rows.filter((row) => overlaps(row, from, end))
    return this.#apply(
      closed,
      closed.flatMap((row) => leftovers(row, from, end)),
      (d, old) => (d >= from && d < end ? undefined : old),
    )
  }

  #set(from: number, to: number, values: ModelValues): ModelOutcome {
    const overlapped = this.#rows.filter((row) => overlaps(row, from, to))
    const unchanged = overlapped.filter((row) => sameValues(row.values, values))
    const changed = overlapped.filter((row) => !sameValues(row.values, values))
    // The portion's days that no unchanged version covers, cut into maximal runs.
    const pieces: ModelRow[] = []
    let start: number | undefined
    for (const d of [...daysOf(from, to), END]) {
      const free = d !== END && !unchanged.some((row) => covers(row, d))
      if (free && start === undefined) start = d
      if (!free && start !== undefined) {
        // A run that reaches the portion's end ends with it (which may be END: unbounded).
        pieces.push({ from: start, to: d === END ? to : d, values })
        start = undefined
      }
    }
    return this.#apply(changed, [...changed.flatMap((row) => leftovers(row, from, to)), ...pieces], (d, old) => (d >= from && d < to ? values : old))
  }

  /**
   * Replaces the `closed` rows with the `inserted` ones, after checking the
   * result against `demanded`, the content docs/semantics.md §3 demands on each day given
   * the old content there: the row bookkeeping above must agree with it.
   */
  #apply(
    closed: readonly ModelRow[],
    inserted: readonly ModelRow[],
    demanded: (d: number, old: ModelValues | undefined) => ModelValues | undefined,
  ): ModelOutcome {
    const before = this.content()
    this.#rows = [...this.#rows.filter((row) => !closed.includes(row)), ...inserted]
    const after = this.content()
    before.forEach((old, d) => {
      const wanted = demanded(d, old)
      const got = after[d]
      if (wanted === undefined || got === undefined ? wanted !== got : !sameValues(wanted, got)) {
        throw new Error(`model bug: day ${day(d)} holds ${JSON.stringify(got)}, docs/semantics.md §3 says ${JSON.stringify(wanted)}`)
      }
    })
    for (const row of this.#rows) {
      if (row.from >= row.to) throw new Error(`model bug: empty row [${row.from}, ${row.to})`)
    }
    const sorted = this.rows()
    sorted.forEach((row, i) => {
      const next = sorted[i + 1]
      if (next !== undefined && row.to > next.from) throw new Error(`model bug: rows [${row.from}, ${row.to}) and [${next.from}, ${next.to}) overlap`)
    })
    const contentChanged = before.some((values, d) => {
      const other = after[d]
      return values === undefined || other === undefined ? values !== other : !sameValues(values, other)
    })
    // Invariant 6 follows from the cutting rule: rows change exactly when the content does.
    if (contentChanged !== (closed.length + inserted.length > 0)) {
      throw new Error(`model bug: content ${contentChanged ? 'changed' : 'unchanged'}, but ${closed.length} rows closed and ${inserted.length} inserted`)
    }
    return { ok: true, contentChanged, closed: closed.length, inserted: inserted.length }
  }
}

/** The rows a changed version leaves outside `[from, to)`: its part before and its part after. */
function leftovers(row: ModelRow, from: number, to: number): ModelRow[] {
  return [
    ...(row.from < from ? [{ from: row.from, to: from, values: row.values }] : []),
    ...(row.to > to ? [{ from: to, to: row.to, values: row.values }] : []),
  ]
}

/** The portion's upper bound (END for unbounded); throws on a portion the model does not cover. */
function checkPortion(from: number, to: number | undefined): number {
  const end = to ?? END
  if (!Number.isInteger(from) || from < 0 || from > LAST_DAY || !Number.isInteger(end) || end <= from || end > END || (end === END && to !== undefined)) {
    throw new Error(`model: portion [${from}, ${String(to)}) is not a non-empty portion of the domain`)
  }
  return end
}

// ---------------------------------------------------------------------------
// System instants: the library's lossless strings 'YYYY-MM-DDTHH:MM:SS.ffffffZ'.
// A JS Date keeps only milliseconds, so these use BigInt microseconds and
// civil-calendar arithmetic, never a Date.

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})Z$/

/** The format of every system time the library returns. */
export const SYSTEM_TIME_FORMAT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
function daysFromCivil(year: bigint, month: bigint, dayOfMonth: bigint): bigint {
  const y = month <= 2n ? year - 1n : year
  const era = (y >= 0n ? y : y - 399n) / 400n
  const yoe = y - era * 400n
  const doy = (153n * (month + (month > 2n ? -3n : 9n)) + 2n) / 5n + dayOfMonth - 1n
  const doe = yoe * 365n + yoe / 4n - yoe / 100n + doy
  return era * 146097n + doe - 719468n
}

// The inverse (civil_from_days).
function civilFromDays(days: bigint): [bigint, bigint, bigint] {
  const z = days + 719468n
  const era = (z >= 0n ? z : z - 146096n) / 146097n
  const doe = z - era * 146097n
  const yoe = (doe - doe / 1460n + doe / 36524n - doe / 146096n) / 365n
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n)
  const mp = (5n * doy + 2n) / 153n
  const d = doy - (153n * mp + 2n) / 5n + 1n
  const m = mp < 10n ? mp + 3n : mp - 9n
  return [yoe + era * 400n + (m <= 2n ? 1n : 0n), m, d]
}

/** Microseconds since the epoch of a system time string. */
export function instantToMicros(instant: string): bigint {
  const match = INSTANT.exec(instant)
  if (match === null) throw new Error(`not a system time string: ${instant}`)
  const [, y = '', mo = '', d = '', h = '', mi = '', s = '', us = ''] = match
  const seconds = daysFromCivil(BigInt(y), BigInt(mo), BigInt(d)) * 86400n + BigInt(h) * 3600n + BigInt(mi) * 60n + BigInt(s)
  return seconds * 1_000_000n + BigInt(us)
}

/** The system time string of microseconds since the epoch. */
export function microsToInstant(micros: bigint): string {
  const perDay = 86_400_000_000n
  const days = micros >= 0n ? micros / perDay : -((-micros + perDay - 1n) / perDay)
  let rest = micros - days * perDay
  const [y, m, d] = civilFromDays(days)
  const us = rest % 1_000_000n
  rest /= 1_000_000n
  const pad = (n: bigint, width: number): string => n.toString().padStart(width, '0')
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}T${pad(rest / 3600n, 2)}:${pad((rest / 60n) % 60n, 2)}:${pad(rest % 60n, 2)}.${pad(us, 6)}Z`
}

/** The system time one microsecond before `instant`. */
export function microsecondBefore(instant: string): string {
  return microsToInstant(instantToMicros(instant) - 1n)
}
