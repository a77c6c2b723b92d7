import { CompiledQuery } from 'kysely'
import type { AnyKysely } from '../src/index.js'
import { median } from './measure.js'

/** Where one statement spends its server time, from `EXPLAIN (ANALYZE, BUFFERS)`. */
export interface PlanProfile {
  readonly label: string
  /** The timed contender that ran this statement this way, if one did. */
  readonly timedAs?: string
  /** How many EXPLAIN ANALYZE runs the medians below come from (each in its own rolled-back transaction). */
  readonly runs: number
  readonly planningMs: number
  readonly executionMs: number
  /** Planning and execution measured with `TIMING OFF`: closer to what the statement costs outside EXPLAIN. */
  readonly untimed: { readonly planningMs: number; readonly executionMs: number }
  /** Row triggers; their time is part of the time of the node that fired them. */
  readonly triggers: readonly { readonly name: string; readonly calls: number; readonly ms: number }[]
  /** Plan nodes by their own (exclusive) time, largest first. */
  readonly nodes: readonly { readonly node: string; readonly ms: number }[]
  /** The text plan of one more run. */
  readonly text: string
}

/** The part of a JSON plan node read here. */
interface PlanNode {
  readonly 'Node Type': string
  readonly Operation?: string
  readonly 'Relation Name'?: string
  readonly Alias?: string
  readonly 'Index Name'?: string
  readonly 'CTE Name'?: string
  readonly 'Subplan Name'?: string
  readonly 'Actual Total Time'?: number
  readonly 'Actual Loops'?: number
  readonly Plans?: readonly PlanNode[]
}

interface ExplainOutput {
  readonly Plan: PlanNode
  readonly 'Planning Time': number
  readonly 'Execution Time': number
  readonly Triggers?: readonly { readonly 'Trigger Name': string; readonly Calls: number; readonly Time: number }[]
}

/**
 * How to run the statements: as sent without a name (planned for their
 * parameters on every call), or through the connection's prepared statement
 * `prepared` (the plan PostgreSQL's plan cache picks, generic or custom).
 */
export type Execution = { readonly sent: true } | { readonly prepared: string }

/** A statement to profile. */
export interface ProfileTarget {
  readonly label: string
  /** The statement for a new entity on each call (same text, so one plan shape). */
  readonly next: () => CompiledQuery
  readonly execution: Execution
  /** The timed contender that ran this statement this way, if one did. */
  readonly timedAs?: string
}

/**
 * Runs `EXPLAIN (ANALYZE, BUFFERS)` of the statement `runs` times, each in
 * its own transaction that is rolled back, and returns the median time of
 * each plan node, trigger, planning and execution; then `runs` times more
 * with `TIMING OFF`, for planning and execution without the clock reads
 * per node (which inflate a plan of many nodes).
 */
export async function profileStatement(db: AnyKysely, target: ProfileTarget, runs: number): Promise<PlanProfile> {
  const run = async (options: string): Promise<ExplainOutput> => {
    const [row] = await explain(db, explainQuery(options, target.next(), target.execution))
    return (row?.['QUERY PLAN'] as readonly ExplainOutput[])[0] as ExplainOutput
  }
  const outputs: ExplainOutput[] = []
  const untimed: ExplainOutput[] = []
  for (let i = 0; i < runs; i++) {
    outputs.push(await run('analyze, buffers, format json'))
    untimed.push(await run('analyze, timing off, format json'))
  }
  const text = (await explain(db, explainQuery('analyze, buffers, format text', target.next(), target.execution)))
    .map((row) => String(row['QUERY PLAN']))
    .join('\n')

  const perRun = outputs.map((output) => ownTimes(output.Plan))
  const shape = perRun[0] ?? []
  const sameShape = perRun.filter((run) => run.length === shape.length)
  const outside = {
    node: '(executor start-up and shut-down: execution outside the plan nodes)',
    ms: median(outputs.map((output) => Math.max(0, output['Execution Time'] - total(output.Plan)))),
  }
  const nodes = shape
    .map((entry, i) => ({ node: entry.node, ms: median(sameShape.map((run) => run[i]?.ms ?? 0)) }))
    .concat(outside)
    .sort((a, b) => b.ms - a.ms)
  const triggers = (outputs[0]?.Triggers ?? []).map((trigger, i) => ({
    name: trigger['Trigger Name'],
    calls: trigger.Calls,
    ms: median(outputs.map((output) => output.Triggers?.[i]?.Time ?? 0)),
  }))
  return {
    label: target.label,
    ...(target.timedAs === undefined ? {} : { timedAs: target.timedAs }),
    runs: outputs.length,
    planningMs: median(outputs.map((output) => output['Planning Time'])),
    executionMs: median(outputs.map((output) => output['Execution Time'])),
    untimed: {
      planningMs: median(untimed.map((output) => output['Planning Time'])),
      executionMs: median(untimed.map((output) => output['Execution Time'])),
    },
    triggers,
    nodes,
    text,
  }
}

function explainQuery(options: string, statement: CompiledQuery, execution: Execution): CompiledQuery {
  const explain = `explain (${options})`
  if ('sent' in execution) return CompiledQuery.raw(`${explain} ${statement.sql}`, [...statement.parameters])
  // EXECUTE takes no bind parameters: its arguments go in as literals.
  const name = `"${execution.prepared.replaceAll('"', '""')}"`
  return CompiledQuery.raw(`${explain} execute ${name}(${statement.parameters.map(literal).join(', ')})`)
}

/** A parameter as an SQL literal, serialized the way `pg` serializes it. */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  const serialized = hasToPostgres(value) ? value.toPostgres(String) : value
  if (typeof serialized !== 'string') throw new Error(`bench: cannot write the parameter ${JSON.stringify(serialized)} as a literal`)
  return `'${serialized.replaceAll("'", "''")}'`
}

function hasToPostgres(value: unknown): value is { toPostgres(prepare: (value: unknown) => string): string } {
  return typeof value === 'object' && value !== null && typeof (value as { toPostgres?: unknown }).toPostgres === 'function'
}

async function explain(db: AnyKysely, query: CompiledQuery): Promise<Readonly<Record<string, unknown>>[]> {
  const trx = await db.startTransaction().execute()
  try {
    const result = await trx.executeQuery<Record<string, unknown>>(query)
    return result.rows
  } finally {
    await trx.rollback().execute()
  }
}

/** A node's time over all its loops, children included. */
function total(node: PlanNode): number {
  return (node['Actual Total Time'] ?? 0) * (node['Actual Loops'] ?? 0)
}

/**
 * Each node's own time: its total (time × loops) minus its children's. A CTE
 * Scan's total includes running the CTE it reads, which the CTE's own nodes
 * already count, so that is taken off too (not below zero).
 */
function ownTimes(root: PlanNode): { node: string; ms: number }[] {
  const cteTotals = new Map<string, number>()
  const collect = (node: PlanNode): void => {
    const name = node['Subplan Name']
    if (name?.startsWith('CTE ') === true) cteTotals.set(name.slice(4), total(node))
    node.Plans?.forEach(collect)
  }
  collect(root)

  const result: { node: string; ms: number }[] = []
  const visit = (node: PlanNode, context: string): void => {
    const subplan = node['Subplan Name']
    const where = subplan === undefined ? context : context === '' ? subplan : `${context} › ${subplan}`
    const children = (node.Plans ?? []).reduce((sum, child) => sum + total(child), 0)
    const cte = node['CTE Name'] === undefined ? 0 : (cteTotals.get(node['CTE Name']) ?? 0)
    const label = where === '' ? describe(node) : `${where}: ${describe(node)}`
    result.push({ node: label, ms: Math.max(0, total(node) - children - cte) })
    node.Plans?.forEach((child) => {
      visit(child, where)
    })
  }
  visit(root, '')
  return result
}

function describe(node: PlanNode): string {
  const type = node['Node Type'] === 'ModifyTable' ? (node.Operation ?? 'ModifyTable') : node['Node Type']
  const index = node['Index Name'] === undefined ? '' : ` using ${node['Index Name']}`
  const target = node['CTE Name'] ?? node['Relation Name']
  const alias = node.Alias !== undefined && node.Alias !== target ? ` ${node.Alias}` : ''
  return target === undefined ? type : `${type}${index} on ${target}${alias}`
}
