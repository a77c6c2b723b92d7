import { CompiledQuery, Kysely, PostgresDialect } from 'kysely'
import type pg from 'pg'
import type { AnyKysely } from '../any-kysely.js'

/** What the repository and the transaction helper accept: a Kysely instance or transaction, or a `pg.Pool`. */
export type DatabaseInput = AnyKysely | pg.Pool

function isKysely(db: DatabaseInput): db is AnyKysely {
  // Duck-typed: a second copy of kysely in node_modules would fail `instanceof`.
  return typeof (db as Partial<AnyKysely>).executeQuery === 'function'
}

/**
 * A Kysely instance over `db`. A `pg.Pool` is wrapped (and never ended by
 * the library: the caller owns it).
 */
export function toKysely(db: DatabaseInput): AnyKysely {
  if (isKysely(db)) return db
  return new Kysely({ dialect: new PostgresDialect({ pool: db }) })
}

/** Runs one statement: one round trip. Rows come back as the statement's text columns. */
export async function runStatement(
  db: AnyKysely,
  text: string,
  parameters: readonly unknown[],
): Promise<readonly Readonly<Record<string, unknown>>[]> {
  const result = await db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(text, [...parameters]))
  return result.rows
}
