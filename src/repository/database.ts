import { CompiledQuery, Kysely, PostgresDialect, PostgresDriver, type PostgresPool } from 'kysely'
import type pg from 'pg'
import type { AnyKysely } from '../any-kysely.js'
import { describeValue } from '../errors/describe-value.js'
import { InvalidInputError } from '../errors/errors.js'
import { isCachedPlanChanged, mapDatabaseError } from '../errors/map-database-error.js'
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

/**
 * Runs one statement: one round trip on node-postgres. `db` should come from
 * {@link withoutCallerPlugins}. A {@link NamedStatement} is sent as one
 * only to a node-postgres connection, which prepares it once per
 * connection; every other driver gets its text (see `docs/drivers.md`).
 *
 * A named statement that a schema change left with other result types
 * (`cached plan must not change result type`, which PostgreSQL raises
 * before running anything) moves to a new name, so every connection
 * prepares it again. Outside a transaction it is run again at once, under
 * the new name; inside one the failure has aborted the transaction, so it
 * is thrown as a retryable `ConcurrentWriteError`, and `transaction()` runs
 * the transaction again (docs/drivers.md, "Schema changes").
 */
export async function runStatement(
  db: AnyKysely,
  text: string | NamedStatement,
  parameters: readonly unknown[],
): Promise<readonly Readonly<Record<string, unknown>>[]> {
  if (typeof text === 'string') return (await db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(text, [...parameters]))).rows
  try {
    return await runNamed(db, text, parameters)
  } catch (error) {
    if (!isStalePreparedStatement(error)) throw error
    text.prepareAgain(error.preparedAs)
    if (db.isTransaction) throw mapDatabaseError(error.cause, { preparedAgain: true })
  }
  try {
    return await runNamed(db, text, parameters)
  } catch (error) {
    // A second schema change between the two runs: rare; the caller may run it again.
    if (!isStalePreparedStatement(error)) throw error
    text.prepareAgain(error.preparedAs)
    throw mapDatabaseError(error.cause, { preparedAgain: true })
  }
}

/** A named statement's failure because its plan no longer fits its table, with the name it was prepared as. */
class StalePreparedStatement extends Error {
  readonly preparedAs: string

  constructor(preparedAs: string, cause: unknown) {
    super('bitemporal: a prepared statement no longer fits its table', { cause })
    this.preparedAs = preparedAs
  }
}

function isStalePreparedStatement(error: unknown): error is StalePreparedStatement {
  return error instanceof StalePreparedStatement
}

async function runNamed(db: AnyKysely, text: NamedStatement, parameters: readonly unknown[]): Promise<readonly Readonly<Record<string, unknown>>[]> {
  const nodePostgres = await nodePostgresConnection
  // The name the statement is sent under this time: another connection may move it on meanwhile.
  const name = text.name
  // What Kysely's own executeQuery does, with the connection in hand so that
  // its driver decides how the statement travels. (getExecutor is marked
  // internal in Kysely; the driver test runs this on every supported driver.)
  const result = await db.getExecutor().provideConnection(async (connection) => {
    if (!(connection instanceof nodePostgres)) return connection.executeQuery<Record<string, unknown>>(CompiledQuery.raw(text.text, [...parameters]))
    // pg copies name, text and values out of the config object it is given,
    // and sets `values` on it first, so each call gets its own object.
    const query = new NamedStatement(text.text, name) as unknown as string
    try {
      return await connection.executeQuery<Record<string, unknown>>(CompiledQuery.raw(query, [...parameters]))
    } catch (error) {
      throw isCachedPlanChanged(error) ? new StalePreparedStatement(name, error) : error
    }
  })
  return result.rows
}

// Kysely does not export the class of PostgresDialect's connections (the
// only ones whose client, node-postgres or a pool with its API such as
// Neon's, reads a query config with a name); a driver over a pool that is
// never used hands one out. Drivers that wrap other clients (postgres.js,
// PGlite) have connections of their own classes.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- only compared by identity
const nodePostgresConnection: Promise<Function> = (async () => {
  const unusedPool = { connect: () => Promise.resolve({ release: () => undefined }) }
  const driver = new PostgresDriver({ pool: unusedPool as unknown as PostgresPool })
  await driver.init()
  // Nothing to release: the pool's client is a stand-in, and the driver is dropped.
  return (await driver.acquireConnection()).constructor
})()

/**
 * `db` without the caller's Kysely plugins: a `CamelCasePlugin` must not
 * rename the library's result columns. Still bound to the same transaction.
 */
export function withoutCallerPlugins(db: AnyKysely): AnyKysely {
  return db.withoutPlugins()
}
