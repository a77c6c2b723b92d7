import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely'

/**
 * A Kysely instance with PostgreSQL's compiler and no connection: for unit
 * tests that look at the SQL and parameters a builder produces. Executing a
 * query returns no rows.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests name tables the type does not list
export function compileOnly(): Kysely<any> {
  return new Kysely({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  })
}
