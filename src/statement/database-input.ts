import { Kysely, PostgresDialect } from 'kysely'
import type pg from 'pg'
import type { AnyKysely } from '../any-kysely.js'
import { describeValue } from '../errors/describe-value.js'
import { InvalidInputError } from '../errors/errors.js'

/** What the repository and the transaction helper accept: a Kysely instance or transaction, or a `pg.Pool`. */
export type DatabaseInput = AnyKysely | pg.Pool

/**
 * Plain JavaScript callers get a typed error, not a TypeError from deep
 * inside Kysely, when `db` is not a Kysely instance, transaction or pool.
 */
export function assertDatabase(db: unknown, what: string): asserts db is DatabaseInput {
  const candidate = db as { executeQuery?: unknown; connect?: unknown } | null
  if (typeof db !== 'object' || candidate === null || (typeof candidate.executeQuery !== 'function' && typeof candidate.connect !== 'function')) {
    throw new InvalidInputError(`${what} takes a Kysely instance, a Kysely transaction or a pg.Pool, got ${describeValue(db)}`)
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
