import { fileURLToPath } from 'node:url'
import { defineTable, type TableDefinition } from '../../src/schema/define-table.js'

/**
 * The two tables every golden SQL file is written for (test/golden/README.md).
 *
 * `taxRates` is the plain table of the tax-rate story (docs/semantics.md §3):
 * a composite key, one value, date valid time.
 */
export const taxRates = defineTable({
  name: 'tax_rates',
  key: { state_id: 'integer', tax_type: 'text' },
  values: { rate: 'numeric not null' },
})

/** The parent `contracts` references: timestamp valid time, an entity table. */
export const customers = defineTable({
  name: 'customers',
  key: { customer_id: 'integer' },
  values: { name: 'text not null' },
  effective: 'timestamp',
  entity: true,
})

/**
 * The table with every feature that changes a statement: audited, with an
 * entity table, a temporal reference to `customers`, timestamp valid time.
 */
export const contracts = defineTable({
  name: 'contracts',
  key: { contract_id: 'integer' },
  values: { customer_id: 'integer not null', fee: 'numeric not null' },
  effective: 'timestamp',
  audit: true,
  entity: true,
  references: [{ table: customers, columns: { customer_id: 'customer_id' } }],
})

/** The other side of `combineTimelines` in docs/api.md: a monthly income per person, date valid time. */
export const incomes = defineTable({ name: 'incomes', key: { person_id: 'integer' }, values: { monthly: 'numeric not null' } })

/** The three tables of the `asOf` and `asOfPlugin` examples: subscriptions of customers to plans. */
export const subscriptions = defineTable({ name: 'subscriptions', key: { id: 'integer' }, values: { customer_id: 'integer', plan_id: 'integer' } })
export const subscribers = defineTable({ name: 'customers', key: { id: 'integer' }, values: { name: 'text' } })
export const plans = defineTable({ name: 'plans', key: { id: 'integer' }, values: { tier: 'text' } })

/** The tables by the folder their files go in, with a line that says what each is. */
export const GOLDEN_TABLES: readonly { readonly folder: string; readonly definition: TableDefinition; readonly about: string }[] = [
  { folder: 'tax-rates', definition: taxRates, about: 'plain table "tax_rates": key state_id integer + tax_type text, value rate numeric, date valid time' },
  {
    folder: 'contracts',
    definition: contracts,
    about: 'audited table "contracts" with an entity table and a reference to "customers": key contract_id integer, values customer_id integer + fee numeric, timestamp valid time',
  },
]

/** The command that rewrites every golden file from the code. */
export const REGENERATE = 'npm run golden'

/** The absolute path of a golden file, from its path under test/golden/. */
export function goldenPath(relative: string): string {
  return fileURLToPath(new URL(`../golden/${relative}`, import.meta.url))
}

/**
 * A golden file's text: comment lines that say what the statement is and
 * which call and options made it, then the SQL exactly as sent.
 *
 * @example
 * goldenText(['asOf, current knowledge', 'readStatements(context).asOfCurrent'], 'select …')
 * // -- asOf, current knowledge
 * // -- readStatements(context).asOfCurrent
 * // -- regenerate: npm run golden
 * // select …
 */
export function goldenText(header: readonly string[], sql: string): string {
  return [...header.map((line) => `-- ${line}`), `-- regenerate: ${REGENERATE}`, sql.trimEnd(), ''].join('\n')
}
