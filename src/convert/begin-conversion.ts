import type { AnyKysely } from '../any-kysely.js'
import { runStatement } from '../statement/run-statement.js'
import { createTableSql } from '../schema/create-table-sql.js'
import { quoteIdentifier } from '../schema/identifier.js'
import { checkSourceRows } from './check-source-rows.js'
import type { ConvertPlan } from './convert-plan.js'
import { runSqlStatements } from '../schema/sql-statements.js'

/** Where a conversion stands once it has begun. */
export interface BegunConversion {
  /** Versions to copy. */
  readonly total: number
  /** Rows left out by `emptyValidity: 'skip'`. */
  readonly skipped: number
  /** The plain table, renamed if it had to make room: `"schema"."name"`. */
  readonly source: string
}

/**
 * What every conversion does first, in the transaction it is given: locks
 * the plain table against writers (`exclusive` mode: readers go on) until
 * that transaction ends, checks its rows ({@link checkSourceRows}), renames
 * it when its name is needed, and creates the bitemporal table.
 *
 * ```sql
 * lock table "public"."plans" in exclusive mode;
 * -- checkSql, duplicateSql
 * alter table "public"."plans" rename to "plans_plain";
 * create table "plan_versions" (…);  -- createTableSql
 * ```
 */
export async function beginConversion(db: AnyKysely, plan: ConvertPlan): Promise<BegunConversion> {
  await runStatement(db, `lock table ${plan.source.quoted} in exclusive mode`, [])
  const { total, skipped } = await checkSourceRows(db, plan)
  let source = plan.source.quoted
  if (plan.renameTo !== undefined) {
    await runStatement(db, `alter table ${source} rename to ${quoteIdentifier(plan.renameTo)}`, [])
    source = `${quoteIdentifier(plan.source.schema)}.${quoteIdentifier(plan.renameTo)}`
  }
  // Several statements, no parameters: one simple query.
  await runSqlStatements(db, createTableSql(plan.context.definition))
  return Object.freeze({ total, skipped, source })
}
