import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alterTable, alterTableSql, bitemporal, convertToBitemporal, createTable, defineTable, install, type TableDefinition } from '../../src/index.js'
import { upgradeTableSql } from '../../src/schema/upgrade-table-sql.js'
import { useTestDatabase } from '../support/database.js'
import { contracts, customers, goldenPath, goldenText } from '../support/golden-sql.js'
import { type LoggedKysely, loggedKysely } from '../support/logged-kysely.js'

// Golden SQL of schema changes and conversions (test/golden/README.md): what
// alterTable and convertToBitemporal build or send, for the `prices` and
// `plans` tables their docs use. Each describe has a database of its own, so
// ids and names in the captured text do not depend on what ran before.
// Regenerate with `npm run golden`.

async function golden(relative: string, header: readonly string[], text: string): Promise<void> {
  await expect(goldenText(header, text)).toMatchFileSnapshot(goldenPath(relative))
}

/** The statements `work` sends through `logged`, each ended by `;` and separated by a blank line. */
async function sentBy(logged: LoggedKysely, work: () => Promise<unknown>): Promise<string> {
  logged.sent.length = 0
  await work()
  return logged.sent.map((statement) => `${statement.trimEnd()};`).join('\n\n')
}

const prices = defineTable({ name: 'prices', key: { sku: 'text' }, values: { price: 'numeric(10,2) not null', qty: 'integer', legacy_code: 'text' } })

describe('alterTable on prices', () => {
  const database = useTestDatabase()
  let logged: LoggedKysely

  beforeAll(async () => {
    logged = loggedKysely(database().url)
    await install(database().db)
    await createTable(database().db, prices)
    const repository = bitemporal(database().db, prices)
    await repository.set({ sku: 'A-1' }, { from: '2023-01-01' }, { price: '9.50', qty: 3, legacy_code: 'x' })
    await repository.set({ sku: 'B-2' }, { from: '2023-01-01' }, { price: '4.00', qty: 1, legacy_code: null })
  })

  afterAll(async () => {
    await logged.db.destroy()
  })

  const changes: readonly [file: string, what: string, definition: TableDefinition, options: Parameters<typeof alterTableSql>[2]][] = [
    [
      'alter-table-rename-widen-add',
      "rename price to amount, widen it to numeric(12,2) and qty to bigint, add currency with a default every version reads ({ rename: { price: 'amount' }, defaults: { currency: 'every-version' } })",
      defineTable({ name: 'prices', key: { sku: 'text' }, values: { amount: 'numeric(12,2) not null', qty: 'bigint', legacy_code: 'text', currency: "text default 'EUR'" } }),
      { rename: { price: 'amount' }, defaults: { currency: 'every-version' } },
    ],
    [
      'alter-table-add-for-correction',
      "add currency with a default current versions receive as a recorded correction ({ defaults: { currency: 'current-versions' } })",
      defineTable({ name: 'prices', key: { sku: 'text' }, values: { price: 'numeric(10,2) not null', qty: 'integer', legacy_code: 'text', currency: "text default 'USD'" } }),
      { defaults: { currency: 'current-versions' } },
    ],
    [
      'alter-table-drop-column',
      "drop legacy_code ({ drop: ['legacy_code'], actor: 'ops@example.com', reason: 'TICKET-12: code retired' })",
      defineTable({ name: 'prices', key: { sku: 'text' }, values: { price: 'numeric(10,2) not null', qty: 'integer' } }),
      { drop: ['legacy_code'], actor: 'ops@example.com', reason: 'TICKET-12: code retired' },
    ],
    [
      'alter-table-turn-on-audit',
      'turn on audit (the definition says audit: true)',
      defineTable({ name: 'prices', key: { sku: 'text' }, values: { price: 'numeric(10,2) not null', qty: 'integer', legacy_code: 'text' }, audit: true }),
      undefined,
    ],
    [
      'alter-table-turn-on-entity',
      'turn on the entity table (the definition says entity: true)',
      defineTable({ name: 'prices', key: { sku: 'text' }, values: { price: 'numeric(10,2) not null', qty: 'integer', legacy_code: 'text' }, entity: true }),
      undefined,
    ],
  ]
  for (const [file, what, definition, options] of changes) {
    it(file, async () => {
      await golden(
        `prices/ddl/${file}.sql`,
        [`alterTable(db, prices, …): ${what}`, 'prices: key sku text, values price numeric(10,2) not null, qty integer, legacy_code text, date valid time', 'alterTableSql(db, definition, options)'],
        await alterTableSql(database().db, definition, options),
      )
    })
  }

  it('alterTable with a current-versions default: the DDL, then correctCurrentVersions', async () => {
    const withCurrency = defineTable({
      name: 'prices',
      key: { sku: 'text' },
      values: { price: 'numeric(10,2) not null', qty: 'integer', legacy_code: 'text', currency: "text default 'USD'" },
    })
    const sent = await sentBy(logged, () => alterTable(logged.db, withCurrency, { defaults: { currency: 'current-versions' } }))
    await golden(
      'prices/sent/alter-table-add-for-correction.sql',
      [
        "alterTable(db, prices with currency text default 'USD', { defaults: { currency: 'current-versions' } }) over two current versions: every statement sent, in order",
        'alterTable (src/schema/alter-table/alter-table.ts), then correctCurrentVersions (src/schema/alter-table/correct-current-versions.ts)',
      ],
      sent,
    )
    // The table now has currency, as after a plain `alter table prices add column currency text`.
    await golden(
      'prices/ddl/upgrade-table-after-add-column.sql',
      ['upgradeTable(db, prices) once the table has a currency column: these statements, after `lock table … in access exclusive mode`, in one transaction', 'upgradeTableSql(db, definition)'],
      await upgradeTableSql(database().db, withCurrency),
    )
  })
})

describe('alterTable turning on a reference', () => {
  const database = useTestDatabase()

  it('alter-table-turn-on-references', async () => {
    await install(database().db)
    await createTable(database().db, customers)
    await createTable(database().db, defineTable({ ...contractOptions(), references: [] }))
    await golden(
      'contracts/ddl/alter-table-turn-on-references.sql',
      ['alterTable(db, contracts): turn on the reference to customers (the table was created without it)', 'alterTableSql(db, contracts)'],
      await alterTableSql(database().db, contracts),
    )
  })
})

/** The options `contracts` was defined with, to define it again without its reference. */
function contractOptions(): Parameters<typeof defineTable>[0] {
  return { name: contracts.name, key: contracts.key, values: contracts.values, effective: contracts.validTime, audit: contracts.audit, entity: contracts.entity }
}

const planVersions = defineTable({ name: 'plan_versions', key: { id: 'integer' }, values: { name: 'text not null', price: 'numeric(10,2) not null' } })

/** A plain table of three 8 kB pages: 120 rows of about 200 bytes. */
async function createPlans(database: () => { db: LoggedKysely['db'] }): Promise<void> {
  await sql`create table plans (id integer primary key, name text not null, price numeric(10,2) not null, created_at timestamptz not null, deleted_at timestamptz, filler text)`.execute(database().db)
  await sql`insert into plans select n, 'plan ' || n, n * 1.5, timestamptz '2023-01-01 00:00:00Z' + n * interval '1 day', null, repeat('x', 160) from generate_series(1, 100) as n`.execute(database().db)
  await sql`alter table plans drop column filler`.execute(database().db)
}

for (const resumable of [false, true]) {
  describe(`convertToBitemporal${resumable ? ', resumable' : ''}`, () => {
    const database = useTestDatabase()
    let logged: LoggedKysely

    beforeAll(async () => {
      logged = loggedKysely(database().url)
      await install(database().db)
      await createPlans(database)
    })

    afterAll(async () => {
      await logged.db.destroy()
    })

    it('every statement sent', async () => {
      const pages = await sql<{ pages: number }>`select pg_relation_size('plans') / current_setting('block_size')::int as pages`.execute(database().db)
      const sent = await sentBy(logged, () =>
        convertToBitemporal(logged.db, { from: 'plans', to: planVersions, effectiveFrom: 'created_at', effectiveTo: 'deleted_at', view: true, batchSize: 40, ...(resumable ? { resumable: true } : {}) }),
      )
      await golden(
        `plans/sent/convert${resumable ? '-resumable' : ''}.sql`,
        [
          `convertToBitemporal(db, { from: 'plans', to: planVersions, effectiveFrom: 'created_at', effectiveTo: 'deleted_at', view: true, batchSize: 40${resumable ? ', resumable: true' : ''} }): every statement sent, in order`,
          `plans: id integer primary key, name text, price numeric(10,2), created_at timestamptz, deleted_at timestamptz; 100 rows on ${String(pages.rows[0]?.pages)} pages`,
          "planVersions: key id integer, values name text not null + price numeric(10,2) not null, date valid time",
        ],
        sent,
      )
    })
  })
}
