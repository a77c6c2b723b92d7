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
 *
 * After a schema change, a connection's prepared statement whose result
 * columns changed type fails (`cached plan must not change result type`),
 * and `pg` never parses a name again on a connection that has parsed it.
 * So the name carries a generation: {@link prepareAgain} moves the statement
 * to a name no connection has prepared yet, and every connection prepares
 * it afresh, against the table as it is now, on its next use
 * (docs/drivers.md, "Schema changes").
 */
export class NamedStatement {
  readonly text: string
  /**
   * `bitemporal_<hash>`, then `bitemporal_<hash>_1`, … after each
   * {@link prepareAgain}. A plain property, not a getter: `pg` clones the
   * query config it is given by its own properties.
   */
  readonly name: string
  readonly #baseName: string
  #generation = 0

  constructor(text: string, name: string = statementName(text)) {
    this.text = text
    this.name = name
    this.#baseName = name
  }

  /**
   * The statement prepared as `failedName` no longer fits its table: later
   * runs use the next name. Connections that failed on the same name at the
   * same time move to the same next name, not one each; the old name stays
   * prepared on the connections that have it (unused, and gone with them).
   *
   * @example
   * ```ts
   * statement.name                   // 'bitemporal_3f…'
   * statement.prepareAgain(statement.name)
   * statement.name                   // 'bitemporal_3f…_1'
   * ```
   */
  prepareAgain(failedName: string): void {
    if (failedName !== this.name) return
    this.#generation++
    ;(this as { name: string }).name = `${this.#baseName}_${String(this.#generation)}`
  }

  toString(): string {
    return this.text
  }
}

/** A name derived from the text: pg refuses a name it knows with a different text. */
function statementName(text: string): string {
  return `bitemporal_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`
}
