import type { ExpressionBuilder } from 'kysely'
import { describe, expect, it } from 'vitest'
import { encodeAggregate } from '../../src/read/aggregate/aggregate-options.js'
import { aggregateSql } from '../../src/read/aggregate/aggregate-sql.js'
import { diffStatements } from '../../src/read/diff/diff-sql.js'
import { asOf } from '../../src/query/as-of.js'
import { asOfPlugin } from '../../src/query/as-of-plugin.js'
import { queryAsOf } from '../../src/query/query-as-of.js'
import { changesStatements } from '../../src/read/changes-sql.js'
import { combineSidesSql, combineTimelinesSql } from '../../src/read/combine-timelines-sql.js'
import { readStatements } from '../../src/read/read-sql.js'
import { timelineStatements } from '../../src/read/timeline-sql.js'
import { tableSqlContext } from '../../src/statement/table-sql-context.js'
import { columnTypesCheckSql } from '../../src/schema/column-types-check-sql.js'
import { createTableSql, dropTableSql } from '../../src/schema/create-table-sql.js'
import { defineTable, type TableDefinition } from '../../src/schema/define-table.js'
import { entityTableSql } from '../../src/schema/entity-table-sql.js'
import { loadSql } from '../../src/write/load-sql.js'
import type { WriteOperation } from '../../src/write/write-operation.js'
import { type WriteScope, writeSql } from '../../src/write/write-sql.js'
import { compileOnly } from '../support/compile-only.js'
import { contracts, customers, GOLDEN_TABLES, goldenPath, goldenText, incomes, plans, subscribers, subscriptions, taxRates } from '../support/golden-sql.js'

// Every statement the library builds without asking the database, written
// out under test/golden/ and compared as a file snapshot: a change to the
// SQL is a diff of those files, which a reviewer reads as SQL. The
// statements that need the catalog or are only seen on the wire (upgradeTable,
// alterTable, erase, the cursor of a stream, a write run in turn) are in
// test/integration/golden-sql.test.ts. Regenerate both with `npm run golden`.

async function golden(relative: string, header: readonly string[], sql: string): Promise<void> {
  await expect(goldenText(header, sql)).toMatchFileSnapshot(goldenPath(relative))
}

/** The options a definition was made with, to define it again with one more. */
function definitionOptions(definition: TableDefinition): Parameters<typeof defineTable>[0] {
  const columns = (list: TableDefinition['keyColumns']): Record<string, string> => Object.fromEntries(list.map((column) => [column.name, column.type]))
  return { name: definition.name, key: columns(definition.keyColumns), values: columns(definition.valueColumns), effective: definition.validTime, audit: definition.audit }
}

/** The six writes of docs/semantics.md §3, by the name of their files. */
const OPERATIONS: readonly { readonly operation: WriteOperation; readonly file: string; readonly call: string }[] = [
  { operation: 'insert', file: 'insert', call: 'repo.insert(key, { from, to }, values)' },
  { operation: 'set', file: 'set', call: 'repo.set(key, { from, to }, values)' },
  { operation: 'setFrom', file: 'set-from', call: 'repo.set(key, { from }, values) (no `to`: up to the next change point)' },
  { operation: 'update', file: 'update', call: 'repo.update(key, { from, to }, patch)' },
  { operation: 'correct', file: 'correct', call: 'repo.correct(key, { at }, patch)' },
  { operation: 'delete', file: 'delete', call: 'repo.delete(key, { from, to })' },
]

const SCOPES: readonly WriteScope[] = ['statement', 'transaction']

describe.each(GOLDEN_TABLES)('golden SQL of $folder', ({ folder, definition, about }) => {
  const context = tableSqlContext(definition)

  describe('writes', () => {
    for (const { operation, file, call } of OPERATIONS) {
      for (const scope of SCOPES) {
        for (const withExpect of [false, true]) {
          const name = `${file}-in-${scope}${withExpect ? '-with-expect' : ''}`
          it(name, async () => {
            await golden(
              `${folder}/write/${name}.sql`,
              [
                `${call}${withExpect ? ' with `expect`' : ''}, ${scope === 'statement' ? 'outside a transaction' : 'inside a transaction'}`,
                about,
                `writeSql(context, '${operation}', { scope: '${scope}', expect: ${String(withExpect)} })`,
              ],
              writeSql(context, operation, { scope, expect: withExpect }),
            )
          })
        }
      }
    }
  })

  describe('reads', () => {
    const reads = readStatements(context)
    const timelines = timelineStatements(context)
    const changes = changesStatements(context)
    const cases: readonly [file: string, what: string, built: string, sql: string][] = [
      ['as-of-current', 'repo.asOf(key, { validAt }), current knowledge', 'readStatements(context).asOfCurrent', reads.asOfCurrent],
      ['as-of-known', 'repo.asOf(key, { validAt, knownAt })', 'readStatements(context).asOfKnown', reads.asOfKnown],
      ['timeline-current', 'repo.timeline(key), current knowledge', 'readStatements(context).timelineCurrent', reads.timelineCurrent],
      ['timeline-known', 'repo.timeline(key, { knownAt })', 'readStatements(context).timelineKnown', reads.timelineKnown],
      ['history', 'repo.history(key)', 'readStatements(context).history', reads.history],
      ['last-change', "the system time of the key's last change (a write's `expect` when it changes nothing)", 'readStatements(context).lastChange', reads.lastChange],
      ['timeline-window-current', 'repo.timeline(key, { from, to }), current knowledge', 'timelineStatements(context).windowCurrent', timelines.windowCurrent],
      ['timeline-window-known', 'repo.timeline(key, { from, to, knownAt })', 'timelineStatements(context).windowKnown', timelines.windowKnown],
      ['timeline-coalesced-current', 'repo.timeline(key, { coalesce: true }), current knowledge', 'timelineStatements(context).coalescedCurrent', timelines.coalescedCurrent],
      ['timeline-coalesced-known', 'repo.timeline(key, { coalesce: true, knownAt })', 'timelineStatements(context).coalescedKnown', timelines.coalescedKnown],
      ['changes-all', 'repo.changes({ since, until }), every key', 'changesStatements(context).all', changes.all],
      ['changes-key', 'repo.changes({ since, until, key }), one key', 'changesStatements(context).key', changes.key],
    ]
    for (const [file, what, built, sql] of cases) {
      it(file, async () => {
        await golden(`${folder}/read/${file}.sql`, [what, about, built], sql)
      })
    }
  })

  it('load, a batch of two versions', async () => {
    await golden(`${folder}/load/load-two-versions.sql`, ['repo.load(versions), one batch of two versions', about, 'loadSql(context, 2)'], loadSql(context, 2))
  })

  it('createTable', async () => {
    // What createTable hands to runSqlStatements: the type check, then the DDL, one transaction.
    await golden(
      `${folder}/ddl/create-table.sql`,
      ['createTable(db, definition): sent one statement per query, in one transaction', about, 'columnTypesCheckSql(definition) + createTableSql(definition)'],
      `${columnTypesCheckSql(definition)}\n${createTableSql(definition)}`,
    )
  })

  it('the entity table', async () => {
    // Only contracts has one; a composite key's entity table also gets a surrogate id.
    const withEntity = definition.entity ? definition : defineTable({ ...definitionOptions(definition), entity: true })
    await golden(
      `${folder}/ddl/entity-table.sql`,
      [`createTable(db, definition) with entity: true: the entity table, before the versions table`, about, 'entityTableSql(definition)'],
      entityTableSql(withEntity),
    )
  })

  it('dropTable', async () => {
    await golden(`${folder}/ddl/drop-table.sql`, ['dropTable(db, definition)', about, 'dropTableSql(definition)'], dropTableSql(definition))
  })
})

describe('golden SQL of the query builders', () => {
  const db = compileOnly()
  const cases: readonly [file: string, what: string, sql: string][] = [
    ['tax-rates/query/query-today', 'taxRates.query().selectAll(): valid today, current knowledge', queryAsOf(db, taxRates, undefined).selectAll().compile().sql],
    [
      'tax-rates/query/query-valid-at',
      "taxRates.query({ validAt: '2023-05-01' }).selectAll()",
      queryAsOf(db, taxRates, { validAt: '2023-05-01' }).selectAll().compile().sql,
    ],
    [
      'tax-rates/query/query-valid-at-known-at',
      "taxRates.query({ validAt: '2023-05-01', knownAt: '2023-10-17T09:30:00Z' }).selectAll()",
      queryAsOf(db, taxRates, { validAt: '2023-05-01', knownAt: '2023-10-17T09:30:00Z' }).selectAll().compile().sql,
    ],
    ['tax-rates/query/query-any-valid-time', "taxRates.query({ validAt: 'any' }).selectAll()", queryAsOf(db, taxRates, { validAt: 'any' }).selectAll().compile().sql],
    ['contracts/query/query-today', 'contracts.query().selectAll(): valid now, current knowledge', queryAsOf(db, contracts, undefined).selectAll().compile().sql],
    [
      'contracts/query/query-valid-at-known-at',
      "contracts.query({ validAt: '2023-05-01T12:00:00Z', knownAt: '2023-10-17T09:30:00Z' }).selectAll()",
      queryAsOf(db, contracts, { validAt: '2023-05-01T12:00:00Z', knownAt: '2023-10-17T09:30:00Z' }).selectAll().compile().sql,
    ],
    [
      'tax-rates/query/as-of-condition',
      "db.selectFrom('tax_rates').where(asOf(taxRates, { validAt: '2023-05-01' })).selectAll()",
      db.selectFrom('tax_rates').where(asOf(taxRates, { validAt: '2023-05-01' })).selectAll().compile().sql,
    ],
    [
      'contracts/query/as-of-plugin-join',
      "asOfPlugin({ tables: [contracts, customers], validAt: '2024-03-01T00:00:00Z' }) on contracts as c inner join customers as p, left join customers as q",
      db
        .withPlugin(asOfPlugin({ tables: [contracts, customers], validAt: '2024-03-01T00:00:00Z' }))
        .selectFrom('contracts as c')
        .innerJoin('customers as p', 'p.customer_id', 'c.customer_id')
        .leftJoin('customers as q', 'q.customer_id', 'c.customer_id')
        .select(['c.contract_id', 'c.fee', 'p.name'])
        .where('c.fee', '>', '100')
        .compile().sql,
    ],
    [
      'contracts/query/as-of-plugin-known-at',
      "asOfPlugin({ tables: [contracts, customers], validAt: 'any', knownAt: '2024-04-02T00:00:00Z' }) on a join of contracts and customers",
      db
        .withPlugin(asOfPlugin({ tables: [contracts, customers], validAt: 'any', knownAt: '2024-04-02T00:00:00Z' }))
        .selectFrom('contracts')
        .innerJoin('customers', 'customers.customer_id', 'contracts.customer_id')
        .selectAll('contracts')
        .compile().sql,
    ],
    [
      'subscriptions/query/as-of-join',
      "asOf(subscriptions, 's', at) and asOf(customers, 'c', at) with at = { validAt: '2024-03-01', knownAt: '2024-04-02T00:00:00Z' } on subscriptions as s inner join customers as c",
      db
        .selectFrom('subscriptions as s')
        .innerJoin('customers as c', 'c.id', 's.customer_id')
        .where(asOf(subscriptions, 's', { validAt: '2024-03-01', knownAt: '2024-04-02T00:00:00Z' }))
        .where(asOf(subscribers, 'c', { validAt: '2024-03-01', knownAt: '2024-04-02T00:00:00Z' }))
        .select((eb) => eb.fn.countAll().as('active'))
        .compile().sql,
    ],
    [
      'subscriptions/query/as-of-plugin-join',
      "asOfPlugin({ tables: [subscriptions, customers, plans], validAt: '2024-03-01', knownAt: '2024-04-02T00:00:00Z' }) on subscriptions as s inner join customers as c left join plans as p",
      db
        .withPlugin(asOfPlugin({ tables: [subscriptions, subscribers, plans], validAt: '2024-03-01', knownAt: '2024-04-02T00:00:00Z' }))
        .selectFrom('subscriptions as s')
        .innerJoin('customers as c', 'c.id', 's.customer_id')
        .leftJoin('plans as p', 'p.id', 's.plan_id')
        .select(['c.name', 'p.tier'])
        .compile().sql,
    ],
  ]
  for (const [file, what, sql] of cases) {
    it(file, async () => {
      await golden(`${file}.sql`, [what, 'compiled by Kysely (PostgresQueryCompiler), as `.compile().sql`'], sql)
    })
  }

  it('combineTimelines of incomes and tax rates, current knowledge', async () => {
    await golden(
      'tax-rates/read/combine-timelines-incomes-current.sql',
      ['combineTimelines({ left: incomes, right: taxRates, from, to }): incomes is key person_id integer, value monthly numeric, date valid time', 'combineTimelinesSql(incomes, taxRates, false)'],
      combineTimelinesSql(tableSqlContext(incomes), tableSqlContext(taxRates), false),
    )
  })

  for (const known of [false, true]) {
    it(`combineTimelines of contracts and customers, ${known ? 'known at' : 'current knowledge'}`, async () => {
      await golden(
        `contracts/read/combine-timelines-${known ? 'known' : 'current'}.sql`,
        [
          `combineTimelines({ left: contracts, right: customers, from, to${known ? ', knownAt' : ''} })`,
          `combineTimelinesSql(contracts, customers, ${String(known)})`,
        ],
        combineTimelinesSql(tableSqlContext(contracts), tableSqlContext(customers), known),
      )
    })
  }
})

describe('golden SQL of the sequenced analytics', () => {
  const db = compileOnly()
  // As docs/recipes/active-subscriptions-and-mrr-per-day.md defines it.
  const revenue = defineTable({ name: 'subscriptions', key: { id: 'integer' }, values: { plan: 'text', status: 'text', mrr: 'numeric(10,2)' } })
  const exemptions = defineTable({ name: 'exemptions', key: { person_id: 'integer' }, values: { share: 'numeric' } })

  for (const known of [false, true]) {
    it(`aggregate with where, count, sum and groupBy, ${known ? 'known at' : 'current knowledge'}`, async () => {
      const context = tableSqlContext(revenue)
      const options = {
        validFrom: '2024-01-01',
        validTo: '2025-01-01',
        ...(known ? { knownAt: '2024-12-31T23:00:00Z' } : {}),
        where: (eb: ExpressionBuilder<any, any>) => eb('status', '=', 'active'), // eslint-disable-line @typescript-eslint/no-explicit-any -- the caller's filter
        count: true,
        sum: 'mrr',
        groupBy: 'plan',
      }
      await golden(
        `subscriptions/read/aggregate-${known ? 'known' : 'current'}.sql`,
        [
          `repo.aggregate({ validFrom: '2024-01-01', validTo: '2025-01-01'${known ? ", knownAt: '2024-12-31T23:00:00Z'" : ''}, where: (eb) => eb('status', '=', 'active'), count: true, sum: 'mrr', groupBy: 'plan' })`,
          "subscriptions: key id integer, values plan text, status text, mrr numeric(10,2); the window's ends are literals (decision 159)",
        ],
        aggregateSql(db, context, encodeAggregate(context, options)).compile(db).sql,
      )
    })
  }

  for (const known of [false, true]) {
    it(`combineTimelines of three sides, ${known ? 'known at' : 'current knowledge'}`, async () => {
      await golden(
        `tax-rates/read/combine-three-sides-${known ? 'known' : 'current'}.sql`,
        [
          `combineTimelines({ sides: [incomes, taxRates, exemptions], from, to${known ? ', knownAt' : ''} }): exemptions is key person_id integer, value share numeric`,
          `combineSidesSql([incomes, taxRates, exemptions], ${String(known)})`,
        ],
        combineSidesSql([tableSqlContext(incomes), tableSqlContext(taxRates), tableSqlContext(exemptions)], known),
      )
    })
  }

  for (const [folder, definition] of [
    ['tax-rates', taxRates],
    ['contracts', contracts],
  ] as const) {
    const statements = diffStatements(tableSqlContext(definition))
    for (const which of ['all', 'key'] as const) {
      it(`diff of ${folder}, ${which === 'all' ? 'every key' : 'one key'}`, async () => {
        await golden(
          `${folder}/read/diff-${which}.sql`,
          [`repo.diff({ before, after?, validFrom?, validTo?${which === 'key' ? ', key' : ''} })`, `diffStatements(context).${which}`],
          statements[which],
        )
      })
    }
  }
})
