import { InvalidInputError } from '../errors/errors.js'

/**
 * A column's SQL type as written in a table definition, parsed so that the
 * DDL is rebuilt from known parts rather than pasted from the caller's text.
 */
export interface ColumnType {
  /** Normalised type, e.g. `numeric(10,2)`, `timestamp with time zone`, `text[]`. */
  readonly type: string
  /** `true` for `not null`, `false` for an explicit `null`, `undefined` when the type says neither. */
  readonly notNull: boolean | undefined
  /** A literal default, as SQL text (`0`, `'n/a'`, `true`), if any. */
  readonly default: string | undefined
}

// One token at a time; `y` makes each match start where the last one ended.
const TOKEN =
  /\s*(?:(?<word>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)|(?<modifier>\(\s*\d+\s*(?:,\s*\d+\s*)?\))|(?<array>\[\s*\d*\s*\])|(?<string>'(?:[^'\\\0]|'')*')|(?<number>[-+]?\d+(?:\.\d+)?))\s*/y

type Token =
  | { readonly kind: 'word'; readonly text: string }
  | { readonly kind: 'modifier' | 'array' | 'string' | 'number'; readonly text: string }

function tokenize(text: string, column: string): Token[] {
  const tokens: Token[] = []
  TOKEN.lastIndex = 0
  while (TOKEN.lastIndex < text.length) {
    const at = TOKEN.lastIndex
    const match = TOKEN.exec(text)
    const groups = match?.groups
    if (!groups || match[0] === '') throw unsupported(text, column, `near ${JSON.stringify(text.slice(at, at + 20))}`)
    const kind = (['word', 'modifier', 'array', 'string', 'number'] as const).find((k) => groups[k] !== undefined)
    if (kind === undefined) throw unsupported(text, column, 'unexpected text')
    const raw = groups[kind] ?? ''
    // A longer name would be truncated by PostgreSQL into another one.
    if (kind === 'word' && raw.split('.').some((part) => part.length > 63)) throw unsupported(text, column, 'a name longer than 63 characters')
        // Words fold to lower case and sizes lose their spaces; literals stay exactly as written.
    const normalized = kind === 'word' ? raw.toLowerCase() : kind === 'modifier' || kind === 'array' ? raw.replace(/\s+/g, '') : raw
    tokens.push({ kind, text: normalized })
  }
  return tokens
}

function unsupported(text: string, column: string, why: string): InvalidInputError {
  return new InvalidInputError(
    `the SQL type of column "${column}" (${JSON.stringify(text.slice(0, 80))}) is not supported (${why}): ` +
      `write a type name with optional size and [] (e.g. "numeric(10,2)", "text[]"), then optionally "not null" and "default <literal>"`,
  )
}

const CONSTRAINT_WORDS = new Set(['not', 'null', 'default'])

// The types PostgreSQL spells in several words. Any other type is one word
// (possibly schema-qualified), so that `text unique` or `integer references x`
// cannot slip column constraints into the DDL.
const INTERVAL_FIELDS = ['year', 'month', 'day', 'hour', 'minute', 'second', 'year to month', 'day to hour', 'day to minute',
  'day to second', 'hour to minute', 'hour to second', 'minute to second']
const MULTI_WORD_TYPES = new Set([
  'double precision',
  'character varying',
  'char varying',
  'bit varying',
  'time with time zone',
  'time without time zone',
  'timestamp with time zone',
  'timestamp without time zone',
  ...INTERVAL_FIELDS.map((fields) => `interval ${fields}`),
])
const LITERAL_WORDS = new Set(['true', 'false', 'null'])

/**
 * Parses a column type such as `numeric not null` or `text default 'n/a'`.
 * Anything beyond a type, `not null`/`null` and a literal `default` is
 * rejected with {@link InvalidInputError}: the text ends up in DDL.
 */
export function parseColumnType(text: unknown, column: string): ColumnType {
  if (typeof text !== 'string' || text.trim() === '') {
    throw new InvalidInputError(`the SQL type of column "${column}" must be a non-empty string such as "text not null"`)
  }
  const tokens = tokenize(text, column)
  let index = 0
  let type = ''
  const words: string[] = []
  for (; index < tokens.length; index++) {
    const token = tokens[index]
    if (token === undefined || (token.kind === 'word' && CONSTRAINT_WORDS.has(token.text))) break
    if (token.kind === 'string' || token.kind === 'number') throw unsupported(text, column, `unexpected ${token.text}`)
    if (token.kind === 'word') {
      words.push(token.text)
      type += type === '' ? token.text : ` ${token.text}`
    } else if (type === '') throw unsupported(text, column, 'it must start with a type name')
    else type += token.text
  }
  if (type === '') throw unsupported(text, column, 'it must start with a type name')
  if (words.length > 1 && !MULTI_WORD_TYPES.has(words.join(' '))) {
    throw unsupported(text, column, `"${words.join(' ')}" is not a type; column constraints such as unique or references do not belong on a versions table`)
  }

  let notNull: boolean | undefined
  let defaultValue: string | undefined
  while (index < tokens.length) {
    const token = tokens[index++]
    const next = tokens[index]
    if (token?.text === 'not' && next?.text === 'null' && notNull === undefined) {
      notNull = true
      index++
    } else if (token?.text === 'null' && notNull === undefined) {
      notNull = false
    } else if (token?.text === 'default' && defaultValue === undefined && next !== undefined && isLiteral(next)) {
      defaultValue = next.text
      index++
    } else {
      throw unsupported(text, column, `unexpected ${JSON.stringify(token?.text ?? '')}`)
    }
  }
  return Object.freeze({ type, notNull, default: defaultValue })
}

function isLiteral(token: Token): boolean {
  return token.kind === 'string' || token.kind === 'number' || (token.kind === 'word' && LITERAL_WORDS.has(token.text))
}

/** The column's DDL after its name: `numeric(10,2) not null default 0`. */
export function columnTypeSql(column: ColumnType, forceNotNull = false): string {
  const parts = [column.type]
  if (column.notNull === true || forceNotNull) parts.push('not null')
  if (column.default !== undefined) parts.push(`default ${column.default}`)
  return parts.join(' ')
}
