import { CompiledQuery } from 'kysely'
import type { AnyKysely } from '../src/any-kysely.js'

/**
 * `custom` and `generic`: the statement as a prepared statement, with
 * `plan_cache_mode` forcing the plan the plan cache would pick for the first
 * five executions (planned for the values) or after them (planned once for
 * any value). `cursor`: the `DECLARE` the library sent, as sent (the values
 * bound, a fast-start plan).
 */
export type Mode = 'custom' | 'generic' | 'cursor'

/** What one EXPLAIN (ANALYZE, BUFFERS) showed. */
export interface PlanResult {
  readonly mode: Mode
  /** The indexes the plan reads, in plan order. */
  readonly indexes: readonly string[]
  /** Temporal tables read by a sequential scan. */
  readonly seqScans: readonly string[]
  /** Rows the index scans returned (over all loops), before any filter above them. */
  readonly indexRows: number
  /** Shared buffers hit and read by the whole plan. */
  readonly buffers: number
  readonly planningMs: number
  readonly executionMs: number
  /** The text plan of the run whose times are reported. */
  readonly text: string
}

interface PlanNode {
  readonly 'Node Type': string
  readonly 'Relation Name'?: string
  readonly 'Index Name'?: string
  readonly 'Actual Rows'?: number
  readonly 'Actual Loops'?: number
  readonly 'Shared Hit Blocks'?: number
  readonly 'Shared Read Blocks'?: number
  readonly Plans?: readonly PlanNode[]
}

/** A bound value as an SQL literal, for `EXECUTE` (which takes no bind parameters). */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`
  throw new Error(`read-plans: cannot write the parameter ${JSON.stringify(value)} as a literal`)
}

/**
 * Runs `EXPLAIN (ANALYZE, BUFFERS)` of `statement` in `mode` on `db` (a pool
 * of one connection), `temporal` naming the tables a Seq Scan must not read: first as JSON, which warms the cache and gives the
 * nodes to check, then as text, whose times are reported.
 */
export async function explainRead(
  db: AnyKysely,
  statement: CompiledQuery,
  mode: Mode,
  temporal: ReadonlySet<string>,
  /** For a cursor: plan it as if all its rows will be fetched (the default, 0.1, favours fast-start plans). */
  cursorTupleFraction?: number,
): Promise<PlanResult> {
  const run = async (options: string): Promise<Record<string, unknown>[]> => {
    if (mode === 'cursor') {
      // A cursor needs a transaction; EXPLAIN ANALYZE runs the query but declares nothing.
      const trx = await db.startTransaction().setAccessMode('read only').execute()
      try {
        if (cursorTupleFraction !== undefined) await trx.executeQuery(CompiledQuery.raw(`set local cursor_tuple_fraction = ${String(cursorTupleFraction)}`))
        return (await trx.executeQuery<Record<string, unknown>>(CompiledQuery.raw(`explain (${options}) ${statement.sql}`, [...statement.parameters]))).rows
      } finally {
        await trx.rollback().execute()
      }
    }
    const values = statement.parameters.length === 0 ? '' : `(${statement.parameters.map(literal).join(', ')})`
    return (await db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(`explain (${options}) execute read_plan${values}`))).rows
  }
  if (mode !== 'cursor') {
    await db.executeQuery(CompiledQuery.raw(`set plan_cache_mode = force_${mode}_plan`))
    await db.executeQuery(CompiledQuery.raw(`prepare read_plan as ${statement.sql}`))
  }
  try {
    const [json] = await run('analyze, buffers, format json')
    const root = (json?.['QUERY PLAN'] as readonly { Plan: PlanNode }[] | undefined)?.[0]?.Plan
    if (root === undefined) throw new Error('read-plans: EXPLAIN returned no plan')
    const text = (await run('analyze, buffers')).map((row) => String(row['QUERY PLAN'])).join('\n')
    const indexes = new Set<string>()
    const seqScans = new Set<string>()
    let indexRows = 0
    const walk = (node: PlanNode): void => {
      const relation = node['Relation Name']
      // Index names start with their table's (createTable's naming); a Bitmap Index Scan names no relation.
      if (node['Index Name'] !== undefined) indexes.add(node['Index Name'])
      if (node['Node Type'].endsWith('Seq Scan') && relation !== undefined && temporal.has(relation)) seqScans.add(relation)
      if (/Index (Only )?Scan$/.test(node['Node Type'])) indexRows += (node['Actual Rows'] ?? 0) * (node['Actual Loops'] ?? 1)
      node.Plans?.forEach(walk)
    }
    walk(root)
    return {
      mode,
      indexes: [...indexes],
      seqScans: [...seqScans],
      indexRows,
      buffers: (root['Shared Hit Blocks'] ?? 0) + (root['Shared Read Blocks'] ?? 0),
      planningMs: timeIn(text, 'Planning Time'),
      executionMs: timeIn(text, 'Execution Time'),
      text,
    }
  } finally {
    if (mode !== 'cursor') await db.executeQuery(CompiledQuery.raw('deallocate read_plan; reset plan_cache_mode'))
  }
}

function timeIn(text: string, label: string): number {
  const match = new RegExp(`${label}: ([\\d.]+) ms`).exec(text)
  return match?.[1] === undefined ? Number.NaN : Number(match[1])
}
