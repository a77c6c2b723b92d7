/**
 * Whether changing a column from type `from` to type `to` (both as
 * PostgreSQL's `format_type` spells them) keeps every value it can hold,
 * and its text, exactly: the widenings `alterTable` makes. A whitelist;
 * anything else is a narrowing or a change of type, which would alter what
 * history recorded (docs/semantics.md §5a).
 *
 * - `smallint` → `integer`, `bigint` or `numeric`; `integer` → `bigint` or `numeric`; `bigint` → `numeric`
 * - `character varying(n)` → `character varying(m)` with m ≥ n, `character varying` or `text`; `character varying` ↔ `text`
 * - `numeric(p,s)` → `numeric` or `numeric(q,s)` with q ≥ p (same scale: another scale would print `1.00` as `1.000`)
 * - `timestamp(p)`, `timestamptz(p)`, `time(p)` → the same type with a larger or no precision
 *
 * @example
 * ```ts
 * isLosslessWidening('integer', 'bigint')                          // true
 * isLosslessWidening('character varying(20)', 'text')              // true
 * isLosslessWidening('numeric(10,2)', 'numeric(12,2)')             // true
 * isLosslessWidening('numeric(10,2)', 'numeric(10,3)')             // false
 * isLosslessWidening('bigint', 'integer')                          // false
 * ```
 */
export function isLosslessWidening(from: string, to: string): boolean {
  if (from === to) return true
  return WIDENINGS.some((widening) => widening(from, to))
}

const INTEGER_RANK: Readonly<Record<string, number>> = { smallint: 1, integer: 2, bigint: 3 }

const WIDENINGS: readonly ((from: string, to: string) => boolean)[] = [
  (from, to) => (INTEGER_RANK[from] ?? 0) > 0 && ((INTEGER_RANK[to] ?? 0) > (INTEGER_RANK[from] ?? 0) || to === 'numeric'),
  (from, to) => {
    const length = varcharLength(from)
    if (length === undefined) return false
    if (to === 'text' || to === 'character varying') return true
    const next = varcharLength(to)
    return length !== null && next !== undefined && next !== null && next >= length
  },
  (from, to) => from === 'text' && to === 'character varying',
  (from, to) => {
    const source = numericModifiers(from)
    if (source === undefined || source === null) return false
    if (to === 'numeric') return true
    const target = numericModifiers(to)
    return target !== undefined && target !== null && target.scale === source.scale && target.precision >= source.precision
  },
  (from, to) => {
    const source = timePrecision(from)
    const target = timePrecision(to)
    return source !== undefined && target !== undefined && source.kind === target.kind && (target.precision === null || (source.precision !== null && target.precision >= source.precision))
  },
]

/** The n of `character varying(n)`, `null` for `character varying`, `undefined` for any other type. */
function varcharLength(type: string): number | null | undefined {
  if (type === 'character varying') return null
  const match = /^character varying\((\d+)\)$/.exec(type)
  return match === null ? undefined : Number(match[1])
}

/** `{ precision, scale }` of `numeric(p,s)`, `null` for plain `numeric`, `undefined` for any other type. */
function numericModifiers(type: string): { precision: number; scale: number } | null | undefined {
  if (type === 'numeric') return null
  const match = /^numeric\((\d+),(-?\d+)\)$/.exec(type)
  return match === null ? undefined : { precision: Number(match[1]), scale: Number(match[2]) }
}

/** Kind and precision (`null`: none given) of a timestamp or time type, `undefined` for any other type. */
function timePrecision(type: string): { kind: string; precision: number | null } | undefined {
  const match = /^(timestamp|time)(?:\((\d+)\))? (with|without) time zone$/.exec(type)
  if (match === null) return undefined
  return { kind: `${match[1] ?? ''} ${match[3] ?? ''}`, precision: match[2] === undefined ? null : Number(match[2]) }
}
