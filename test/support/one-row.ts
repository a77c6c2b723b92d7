import type { Kysely, sql } from 'kysely'

/** The first row a raw query returns; a test that expects one and gets none fails here. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw SQL on tables the tests create
export async function one<T>(db: Kysely<any>, query: ReturnType<typeof sql<T>>): Promise<T> {
  const { rows } = await query.execute(db)
  if (rows[0] === undefined) throw new Error('no row')
  return rows[0]
}
