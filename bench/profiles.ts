import { CompiledQuery, sql } from 'kysely'
import { type AnyKysely, bitemporal } from '../src/index.js'
import { NAMES, PLAIN_SELECT, PLAIN_UPDATE, UPDATE_PORTION, type EntityQueue } from './contenders.js'
import { profileStatement, type PlanProfile, type ProfileTarget } from './explain.js'
import { rates } from './fixture.js'
import { isPrepared } from './prepared.js'
import type { PreparedStatementCounts } from './report.js'

/** EXPLAIN ANALYZE runs per statement. */
const RUNS = 5

/** A Kysely instance on the benchmark's connection that records every statement it sends. */
export interface Recorder {
  readonly db: AnyKysely
  readonly recorded: CompiledQuery[]
}

/**
 * Profiles, on the benchmark's connection after the timed run: the
 * repository update as sent without a name (planned on every call) and, if
 * the repository prepares it, through its prepared statement as the timed
 * run executed it; the plain UPDATE; the repository's asOf and the plain
 * SELECT. Every write runs on an entity no timed update touched.
 */
export async function profileStatements(
  db: AnyKysely,
  recorder: Recorder,
  entities: EntityQueue,
  planCache: readonly PreparedStatementCounts[],
): Promise<PlanProfile[]> {
  const update = await record(recorder, (trx) => bitemporal(trx, rates).update({ id: entities.take() }, UPDATE_PORTION, { rate: '30.5' }))
  const asOf = await record(recorder, (trx) => bitemporal(trx, rates).asOf({ id: entities.take() }, { validAt: '2024-03-15' }))
  const fresh = (statement: CompiledQuery) => (): CompiledQuery => withKey(statement, entities.take())
  const updateName = preparedName(update)
  const asOfName = preparedName(asOf)
  const targets: ProfileTarget[] = [
    {
      label: 'repository update, sent without a name: planned for its parameters on every call',
      next: fresh(update),
      execution: { sent: true },
      ...(updateName === undefined ? { timedAs: NAMES.update } : {}),
    },
    ...(updateName === undefined
      ? []
      : [
          {
            label: `repository update through its prepared statement, as the timed run executed it${planChoices(planCache, updateName)}`,
            next: fresh(update),
            execution: { prepared: updateName },
            timedAs: NAMES.update,
          },
        ]),
    { label: 'plain UPDATE', next: () => CompiledQuery.raw(PLAIN_UPDATE, ['31.5', entities.take()]), execution: { sent: true }, timedAs: NAMES.plainUpdate },
    {
      label: `repository asOf (current knowledge)${asOfName === undefined ? '' : ` through its prepared statement${planChoices(planCache, asOfName)}`}`,
      next: fresh(asOf),
      execution: asOfName === undefined ? { sent: true } : { prepared: asOfName },
      timedAs: NAMES.asOf,
    },
    { label: 'plain SELECT', next: () => CompiledQuery.raw(PLAIN_SELECT, [entities.take()]), execution: { sent: true }, timedAs: NAMES.plainSelect },
  ]
  const profiles: PlanProfile[] = []
  for (const target of targets) profiles.push(await profileStatement(db, target, RUNS))
  return profiles
}

/** The connection's prepared statements and how often the plan cache used a generic or a custom plan for each. */
export async function planCacheCounts(db: AnyKysely): Promise<PreparedStatementCounts[]> {
  const { rows } = await sql<{ name: string; statement: string; generic_plans: string; custom_plans: string }>`
    select name, statement, generic_plans, custom_plans from pg_prepared_statements order by name`.execute(db)
  return rows.map((row) => ({
    name: row.name,
    statement: describeStatement(row.statement),
    genericPlans: Number(row.generic_plans),
    customPlans: Number(row.custom_plans),
  }))
}

/** Its first line if that is a comment (the repository's writes), else its start and end (its reads differ at the end). */
function describeStatement(text: string): string {
  if (text.startsWith('-- ')) return text.slice(3, text.includes('\n') ? text.indexOf('\n') : undefined)
  const flat = text.replace(/\s+/g, ' ')
  return flat.length <= 100 ? flat : `${flat.slice(0, 40)} … ${flat.slice(-55)}`
}

function planChoices(planCache: readonly PreparedStatementCounts[], name: string): string {
  const counts = planCache.find((statement) => statement.name === name)
  return counts === undefined ? '' : ` (${String(counts.genericPlans)} generic and ${String(counts.customPlans)} custom plans in the timed run)`
}

/** The one statement `run` sends through the repository, recorded in a transaction that is rolled back. */
async function record(recorder: Recorder, run: (trx: AnyKysely) => Promise<unknown>): Promise<CompiledQuery> {
  const trx = await recorder.db.startTransaction().execute()
  let sent: CompiledQuery[]
  try {
    recorder.recorded.length = 0
    await run(trx)
    sent = [...recorder.recorded]
  } finally {
    await trx.rollback().execute()
  }
  const [statement, ...more] = sent
  if (statement === undefined || more.length > 0) {
    throw new Error(`bench: expected one statement from the repository, it sent ${String(sent.length)}`)
  }
  return statement
}

/** The same statement for another entity: the key is `$1` (the repository's statements take the key first). */
function withKey(statement: CompiledQuery, id: number): CompiledQuery {
  return { ...statement, parameters: [id, ...statement.parameters.slice(1)] }
}

/** The name `pg` prepares a recorded statement under, if the repository sent it as a named statement. */
function preparedName(statement: CompiledQuery): string | undefined {
  if (!isPrepared(statement)) return undefined
  const { name } = statement.sql as unknown as { name?: unknown }
  return typeof name === 'string' ? name : undefined
}
