import { describeValue } from '../errors/describe-value.js'
import { InvalidInputError } from '../errors/errors.js'

// Letters, digits and underscores only: such names need no escaping inside
// double quotes, mean the same to every tool, and cannot carry SQL.
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/
const MAX_IDENTIFIER_BYTES = 63

/** A possibly schema-qualified table name, validated. */
export interface QualifiedName {
  readonly schema: string | undefined
  readonly name: string
}

/**
 * Checks that `name` is a plain SQL identifier and returns it.
 * Throws {@link InvalidInputError} naming `what` otherwise.
 */
export function validateIdentifier(name: unknown, what: string): string {
  if (typeof name !== 'string') {
    throw new InvalidInputError(`${what} must be a string, got ${describeValue(name)}`)
  }
  if (!IDENTIFIER.test(name)) {
    throw new InvalidInputError(
      `${what} ${JSON.stringify(name.slice(0, 80))} is not a plain identifier: use letters, digits and underscores, starting with a letter or underscore`,
    )
  }
  if (Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES) {
    throw new InvalidInputError(
      `${what} "${name}" is longer than PostgreSQL's ${MAX_IDENTIFIER_BYTES} characters and would be truncated`,
    )
  }
  if (name === '__proto__') {
    throw new InvalidInputError(`${what} "__proto__" is not allowed as a name`)
  }
  return name
}

/** `"name"`: callers pass only names that went through {@link validateIdentifier}. */
export function quoteIdentifier(name: string): string {
  return `"${name}"`
}

/**
 * `'text'`, an SQL string literal: for DDL, where a value cannot travel as
 * a parameter (trigger arguments, comments). Doubling quotes is all it
 * takes with `standard_conforming_strings` on, the default since
 * PostgreSQL 9.1.
 */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`
}

/** Parses `table` or `schema.table`. */
export function parseQualifiedName(text: unknown, what: string): QualifiedName {
  if (typeof text !== 'string') {
    throw new InvalidInputError(`${what} must be a string like "tax_rates" or "billing.tax_rates"`)
  }
  const parts = text.split('.')
  if (parts.length === 1) return Object.freeze({ schema: undefined, name: validateIdentifier(parts[0], what) })
  if (parts.length === 2) {
    return Object.freeze({
      schema: validateIdentifier(parts[0], `schema of ${what}`),
      name: validateIdentifier(parts[1], what),
    })
  }
  throw new InvalidInputError(
    `${what} ${JSON.stringify(text.slice(0, 80))} has too many dots: write "table" or "schema.table"`,
  )
}

/** `"schema"."name"` or `"name"`. */
export function quoteQualifiedName(name: QualifiedName): string {
  return name.schema === undefined
    ? quoteIdentifier(name.name)
    : `${quoteIdentifier(name.schema)}.${quoteIdentifier(name.name)}`
}
