import { CompiledQuery } from 'kysely'

/**
 * Query text that `pg` prepares once per connection under `name` and then
 * only binds and executes: `pg` reads `name` and `text` when it is given an
 * object, and Kysely hands `sql` to it untouched. The same trick the
 * repository may use for its own statements, so the plain table can be
 * measured both ways.
 */
class PreparedText extends String {
  constructor(
    readonly text: string,
    readonly name: string,
  ) {
    super(text)
  }
}

/** A compiled query `pg` runs as the named statement `name`. */
export function preparedQuery(name: string, text: string, parameters: readonly unknown[]): CompiledQuery {
  // pg copies the config it is given; Kysely types `sql` as a string.
  return CompiledQuery.raw(new PreparedText(text, name) as unknown as string, [...parameters])
}

/** Whether a compiled query is a named statement (as the repository sends when it prepares). */
export function isPrepared(query: CompiledQuery): boolean {
  return typeof (query.sql as unknown) === 'object'
}
