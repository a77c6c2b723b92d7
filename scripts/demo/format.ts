import type { TableDefinition, Version } from '../../src/index.js'

/** `∞` for an unbounded end, as the tables of docs/semantics.md §3 write it. */
const OPEN = '∞'

/**
 * The versions as the tables of docs/semantics.md §3 show them: rate, effective from/to,
 * system from/to, with system times named T1, T2, … by the step that wrote
 * them, and whether the row is still current knowledge.
 */
export function formatVersions(
  versions: readonly Version<TableDefinition>[],
  value: (version: Version<TableDefinition>) => string,
  nameOf: (systemTime: string) => string,
): string[] {
  const header = ['rate', 'effective from', 'effective to', 'system from', 'system to', '']
  const rows = versions.map((v) => [
    value(v),
    v.effective.from,
    v.effective.to ?? OPEN,
    nameOf(v.system.from),
    v.system.to === null ? OPEN : nameOf(v.system.to),
    v.system.to === null ? 'current' : 'superseded',
  ])
  return formatTable([header, ...rows])
}

/** Columns padded to their widest cell, two spaces apart. */
export function formatTable(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, width(cell))))
  return rows.map((row) => row.map((cell, i) => cell + ' '.repeat((widths[i] ?? 0) - width(cell))).join('  ').trimEnd())
}

/** Columns a cell takes in a terminal: code points (`∞` and `µ` are one), enough for this demo's text. */
function width(text: string): number {
  return Array.from(text).length
}

const SYSTEM_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.(\d{6})Z$/

/**
 * The instant one microsecond before a system time the library returned
 * (`2026-01-01T10:00:00.000000Z` gives `2026-01-01T09:59:59.999999Z`), in
 * integers: a `Date` would lose the microseconds.
 */
export function microsecondBefore(systemTime: string): string {
  const match = SYSTEM_TIME.exec(systemTime)
  if (match?.[1] === undefined || match[2] === undefined) throw new Error(`not a system time: ${systemTime}`)
  const micros = BigInt(Date.parse(`${match[1]}Z`)) * 1000n + BigInt(match[2]) - 1n
  const seconds = micros / 1_000_000n
  const fraction = micros % 1_000_000n
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${fraction.toString().padStart(6, '0')}Z`
}
