import { CompiledQuery, sql } from 'kysely'
import { bitemporal, type AnyKysely } from '../src/index.js'
import type { BenchPlan } from './bench-plan.js'
import type { Comparison } from './contenders.js'
import { type HistoryTable, monthDay } from './history-fixture.js'
import { preparedQuery } from './prepared.js'
import { shuffled, type Random } from './random.js'

/** The valid day every count asks about: inside the third version of every entity. */
const VALID_AT = monthDay(2, 15)

/**
 * Prepares the count over the short history table: copies its rows (as
 * recorded) into a plain table of versions, the non-temporal limit of the
 * same question, then changes `plan.count.pastWrites` entities through the
 * repository (each update closes the version valid at the counted day), so
 * that the instant the rows were recorded is a past one whose answer
 * differs from current knowledge only through closed rows.
 */
export async function countComparison(db: AnyKysely, random: Random, table: HistoryTable, plan: BenchPlan): Promise<Comparison> {
  const plain = `${table.definition.name}_versions`
  await sql`create table ${sql.table(plain)} as
    select id, lower(effective) as valid_from, upper(effective) as valid_to, rate, note from ${sql.table(table.definition.name)}`.execute(db)
  await sql`vacuum analyze ${sql.table(plain)}`.execute(db)
  const repository = bitemporal(db, table.definition)
  for (const id of shuffled(random, table.size.entities).slice(0, plan.count.pastWrites)) {
    await repository.update({ id }, { from: monthDay(2, 10), to: monthDay(2, 20) }, { rate: '99' })
  }
  await sql`analyze ${sql.table(table.definition.name)}`.execute(db)

  const rows = table.size.entities * table.size.versions
  const text = `SELECT count(*) FROM ${plain} WHERE valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1)`
  const expect = (what: string, count: unknown): void => {
    if (Number(count) !== table.size.entities) throw new Error(`bench: ${what} counted ${String(count)}, not ${String(table.size.entities)}`)
  }
  const count = async (knownAt?: string): Promise<unknown> => {
    const query = repository.query(knownAt === undefined ? { validAt: VALID_AT } : { validAt: VALID_AT, knownAt })
    return (await query.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow())['n']
  }
  return {
    title: `Count of the versions valid at one day over ${String(rows)} rows (${String(table.size.entities)} × ${String(table.size.versions)})`,
    contenders: [
      {
        name: `plain count(*) over a plain table of the same ${String(rows)} versions`,
        run: async () => {
          expect('plain count', (await db.executeQuery<{ count: string }>(CompiledQuery.raw(text, [VALID_AT]))).rows[0]?.count)
        },
      },
      {
        name: 'plain count(*), prepared',
        run: async () => {
          expect('plain count', (await db.executeQuery<{ count: string }>(preparedQuery('bench_plain_count', text, [VALID_AT]))).rows[0]?.count)
        },
      },
      {
        name: `repo.query({ validAt, knownAt: past }).select(count), ${String(plan.count.pastWrites)} entities changed since`,
        run: async () => {
          expect('query count as of a past instant', await count(table.recordedAt))
        },
      },
      {
        name: 'repo.query({ validAt }).select(count) (current knowledge)',
        run: async () => {
          expect('query count', await count())
        },
      },
    ],
    targets: {},
  }
}
