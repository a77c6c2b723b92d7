/**
 * A one-dimensional array as PostgreSQL's array text, every element quoted
 * (`{"a","b \"c\"",NULL}`), so that the parameter is text like every other
 * and the element type's own input function reads each element. The reverse
 * of what `postgres-array` parses; node-postgres writes arrays this way too,
 * but other drivers do not (postgres.js only for parameters it knows to be
 * arrays, PGlite not at all).
 *
 * @example
 * ```ts
 * arrayLiteral(['a', null, 'say "hi"']) // '{"a",NULL,"say \\"hi\\""}'
 * ```
 */
export function arrayLiteral(elements: readonly (string | null)[]): string {
  return `{${elements.map((element) => (element === null ? 'NULL' : `"${element.replace(/[\\"]/g, (character) => `\\${character}`)}"`)).join(',')}}`
}
