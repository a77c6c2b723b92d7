import { createHash } from 'node:crypto'

/**
 * A statement that `pg` prepares once per connection and then only binds and
 * executes. Parsing and planning a write statement costs about as much as
 * running it, so preparing it nearly halves the server's work per write.
 *
 * It travels through Kysely in place of the query text: Kysely hands the
 * text to `pg` untouched, and `pg`, given an object instead of a string,
 * reads it as a query config (`name`, `text`). `toString()` gives the SQL to
 * anything else that looks at the text, such as a Kysely `log` function.
 * (A `String` subclass would pass for a string more fully, but V8 makes
 * every use of one several times slower than a plain object.)
 *
 * Only a node-postgres connection gets it as a name (`runStatement` looks at
 * the connection); other drivers get its text and use what they do
 * themselves (`docs/drivers.md`). Named statements need a connection that
 * keeps them: behind PgBouncer in transaction mode (before 1.21) pass
 * `{ prepare: false }` to `bitemporal()`.
 */
export class NamedStatement {
  readonly name: string
  readonly text: string

  constructor(text: string, name: string = statementName(text)) {
    this.text = text
    this.name = name
  }

  toString(): string {
    return this.text
  }
}

/** A name derived from the text: pg refuses a name it knows with a different text. */
function statementName(text: string): string {
  return `bitemporal_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`
}
