/**
 * The own keys of `object` that are not among `known`, each quoted for an
 * error message (and cut to 60 characters, so a hostile key cannot flood
 * it). Empty when every key is known.
 *
 * Every object a caller hands the library (a key, values, options, a
 * portion `{ from, to? }`, the point `{ at }` of `correct`) is checked with
 * it: a misspelt name would otherwise be dropped without a word, and
 * `{ from, unti }` would be read as a portion with no end, widening the
 * write (docs/semantics.md §3). A key whose value is `undefined` is
 * still a key the caller wrote, so it counts.
 *
 * @example
 * ```ts
 * unknownKeys({ from: '2024-03-01', unti: '2024-04-01' }, ['from', 'to']) // ['"unti"']
 * unknownKeys({ from: '2024-03-01' }, ['from', 'to'])                     // []
 * ```
 */
export function unknownKeys(object: Readonly<Record<string, unknown>>, known: readonly string[]): readonly string[] {
  return Object.keys(object)
    .filter((name) => !known.includes(name))
    .map((name) => JSON.stringify(name.slice(0, 60)))
}

/**
 * `unknown key "unti"` or `unknown keys "until", "unti"`, for the start of
 * an error message about {@link unknownKeys}' result.
 */
export function unknownKeysText(quoted: readonly string[], noun = 'key'): string {
  return `unknown ${noun}${quoted.length === 1 ? '' : 's'} ${quoted.join(', ')}`
}
