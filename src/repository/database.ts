import { CompiledQuery, Kysely, PostgresDialect } from 'kysely'
import type pg from 'pg'
import type { AnyKysely } from '../any-kysely.js'
import { describeValue } from '../errors/describe-value.js'
import { InvalidInputError } from '../errors/errors.js'
import { NamedStatement } from './named-statement.js'

/** What the repository and the transaction helper accept: a Kysely instance or transaction, or a `pg.Pool`. */
export type DatabaseInput = AnyKysely | pg.Pool

/**
 * Plain JavaScript callers get a typed error, not a TypeError from deep
 * inside Kysely, when `db` is not a Kysely instance, transaction or pool.
 */
export function assertDatabase(db: unknown, what: string): asserts db is DatabaseInput {
  const candidate = db as { executeQuery?: unknown; connect?: unknown } | null
  if (typeof db !== 'object' || candidate === null || (typeof candidate.executeQuery !== 'function' && typeof candidate.connect !== 'function')) {
    throw new InvalidInputError(`bitemporal: ${what} takes a Kysely instance, a Kysely transaction or a pg.Pool, got ${describeValue(db)}`)
  }
}

function isKysely(db: DatabaseInput): db is AnyKysely {
  // Duck-typed: a second copy of kysely in node_modules would fail `instanceof`.
  return typeof (db as Partial<AnyKysely>).executeQuery === 'function'
}

/**
 * A Kysely instance over `db`. A `pg.Pool` is wrapped (and never ended by
 * the library: the caller owns it).
 */
export function toKysely(db: DatabaseInput, what = 'bitemporal'): AnyKysely {
  assertDatabase(db, what)
  if (isKysely(db)) return db
  return new Kysely({ dialect: new PostgresDialect({ pool: db }) })
}

/**
 * Runs one statement: one round trip. `db` should come from
 * {@link withoutCallerPlugins}. A {@link NamedStatement} is prepared once per
 * connection by `pg`; its parameters and text travel as usual.
 */
export async function runStatement(
  db: AnyKysely,
  text: string | NamedStatement,
  parameters: readonly unknown[],
): Promise<readonly Readonly<Record<string, unknown>>[]> {
  // pg copies name, text and values out of the config object it is given, and
  // sets `values` on it first, so each call gets its own object.
  const query = typeof text === 'string' ? text : new NamedStatement(text.text, text.name)
  const result = await db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(query as unknown as string, [...parameters]))
  return result.rows
}

/**
 * `db` without the caller's Kysely plugins: a `CamelCasePlugin` must not
 * rename the library's result columns. Still bound to the same transaction.
 */
export function withoutCallerPlugins(db: AnyKysely): AnyKysely {
  return db.withoutPlugins()
}
