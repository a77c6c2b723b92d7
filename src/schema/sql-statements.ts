import { sql } from 'kysely'
import { postgreSplitterOptions, splitQuery } from 'dbgate-query-splitter'
import type { AnyKysely } from '../any-kysely.js'

/**
 * The statements of a `.sql` file, in order, each without its closing
 * semicolon: split where PostgreSQL would end them, not inside a
 * dollar-quoted body (`$$ … $$`, `$fn$ … $fn$`), a quoted string or
 * identifier, or a comment. Every driver then runs them one query each:
 * PGlite (and any driver that sends a query with the extended protocol)
 * refuses several commands in one ("cannot insert multiple commands into a
 * prepared statement").
 *
 * Not understood, and so to be kept out of `.sql` migrations (a `.ts`
 * migration runs anything): a SQL-standard function body
 * (`begin atomic … end`), an `E'…'` string with a backslash-escaped quote,
 * and nested block comments.
 *
 * @example
 * ```ts
 * sqlStatements("create table t (a int);\ncreate function f() returns int language sql as $$ select 1; $$;")
 * // ['create table t (a int)', 'create function f() returns int language sql as $$ select 1; $$']
 * ```
 */
export function sqlStatements(text: string): string[] {
  return splitQuery(text, postgreSplitterOptions)
    .map((statement) => (typeof statement === 'string' ? statement : statement.text))
    .filter((statement) => statement.trim() !== '')
}

/**
 * Runs the statements of `text` ({@link sqlStatements}) one query each, all
 * or nothing: in `db`'s transaction when it is one, else in a transaction of
 * their own.
 *
 * @example
 * ```ts
 * await runSqlStatements(db, createTableSql(taxRates)) // begin; create table …; create index …; …; commit
 * ```
 */
export async function runSqlStatements(db: AnyKysely, text: string): Promise<void> {
  const statements = sqlStatements(text)
  const run = async (trx: AnyKysely): Promise<void> => {
    for (const statement of statements) await sql.raw(statement).execute(trx)
  }
  await (db.isTransaction || statements.length <= 1 ? run(db) : db.transaction().execute(run))
}
