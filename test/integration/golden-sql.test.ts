import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bitemporal, createTable, install, streamQuery } from '../../src/index.js'
import { alterTableSql } from '../../src/schema/alter-table/alter-table-sql.js'
import { defineTable } from '../../src/schema/define-table.js'
import { upgradeTableSql } from '../../src/schema/upgrade-table-sql.js'
import { queueForKey } from '../../src/transaction/transaction.js'
import { useTestDatabase } from '../support/database.js'
import { contracts, customers, GOLDEN_TABLES, goldenPath, goldenText, taxRates } from '../support/golden-sql.js'
import { type LoggedKysely, loggedKysely } from '../support/logged-kysely.js'

// The golden SQL files of what needs the catalog (upgradeTable, alterTable)
// or is only seen on the wire: the statements a call sends, in order, as
// Kysely logged them (test/support/logged-kysely.ts). The statements built
// without the database are in test/unit/golden-sql.test.ts. Regenerate both
// with `npm run golden`.

const database = useTestDatabase()
let logged: LoggedKysely

async function golden(relative: string, header: readonly string[], sql: string): Promise<void> {
  await expect(goldenText(header, sql)).toMatchFileSnapshot(goldenPath(relative))
}

/** The statements `work` sends, each ended by `;` and separated by a blank line. */
async function sentBy(work: () => Promise<unknown>): Promise<string> {
  logged.sent.length = 0
  await work()
  return logged.sent.map((statement) => `${statement.trimEnd()};`).join('\n\n')
}

beforeAll(async () => {
  logged = loggedKysely(database().url)
  await install(database().db)
  for (const definition of [taxRates, customers, contracts]) await createTable(database().db, definition)
  const customerRepository = bitemporal(database().db, customers)
  await customerRepository.insert({ customer_id: 1 }, { from: '2023-01-01T00:00:00Z' }, { name: 'Ada' })
  const contractRepository = bitemporal(database().db, contracts)
  await contractRepository.insert({ contract_id: 1 }, { from: '2023-02-01T00:00:00Z' }, { customer_id: 1, fee: '100' }, { actor: 'golden', reason: 'fixture' })
  const taxRateRepository = bitemporal(database().db, taxRates)
  await taxRateRepository.set({ state_id: 1, tax_type: 'vat' }, { from: '2023-01-01' }, { rate: '0.19' })
  await taxRateRepository.set({ state_id: 1, tax_type: 'vat' }, { from: '2023-07-01' }, { rate: '0.21' })
  await taxRateRepository.set({ state_id: 1, tax_type: 'vat' }, { from: '2024-01-01' }, { rate: '0.23' })
})

afterAll(async () => {
  await logged.db.destroy()
})

describe.each(GOLDEN_TABLES)('golden SQL of $folder that reads the catalog', ({ folder, definition, about }) => {
  it('upgradeTable', async () => {
    await golden(
      `${folder}/ddl/upgrade-table.sql`,
      ['upgradeTable(db, definition): these statements, after `lock table … in access exclusive mode`, in one transaction', about, 'upgradeTableSql(db, definition)'],
      await upgradeTableSql(database().db, definition),
    )
  })
})

describe('golden SQL of a call, as sent', () => {
  it('alterTable adding a column', async () => {
    const withNote = defineTable({ name: 'tax_rates', key: { state_id: 'integer', tax_type: 'text' }, values: { rate: 'numeric not null', note: 'text' } })
    await golden(
      'tax-rates/ddl/alter-table-add-column.sql',
      ['alterTable(db, taxRates with a new value column note text): one representative change', 'alterTableSql(db, definition)'],
      await alterTableSql(database().db, withNote),
    )
  })

  it('streamHistory outside a transaction, batches of two', async () => {
    const repository = bitemporal(logged.db, taxRates)
    const sent = await sentBy(async () => {
      for await (const version of repository.streamHistory({ state_id: 1, tax_type: 'vat' }, { batchSize: 2 })) expect(version.values.rate).toBeTypeOf('string')
    })
    await golden(
      'tax-rates/sent/stream-history-outside-transaction.sql',
      ["taxRates.streamHistory(key, { batchSize: 2 }) outside a transaction, over three versions: every statement sent, in order", 'cursorBatches (src/read/cursor-batches.ts)'],
      sent,
    )
  })

  it('streamQuery inside a transaction', async () => {
    const repository = bitemporal(logged.db, taxRates)
    const sent = await sentBy(() =>
      logged.db.transaction().execute(async (trx) => {
        const rows = []
        for await (const row of streamQuery(trx, repository.query({ validAt: 'any' }).selectAll(), { batchSize: 1000 })) rows.push(row)
        expect(rows).toHaveLength(3)
      }),
    )
    await golden(
      'tax-rates/sent/stream-query-in-transaction.sql',
      ["streamQuery(trx, taxRates.query({ validAt: 'any' }).selectAll(), { batchSize: 1000 }) inside a transaction: every statement sent, in order", 'cursorBatches (src/read/cursor-batches.ts)'],
      sent,
    )
  })

  it('streamQuery outside a transaction', async () => {
    const repository = bitemporal(logged.db, taxRates)
    const sent = await sentBy(async () => {
      const rows = []
      for await (const row of streamQuery(logged.db, repository.query({ validAt: '2023-05-01' }).selectAll(), { batchSize: 5000 })) rows.push(row)
      expect(rows).toHaveLength(1)
    })
    await golden(
      'tax-rates/sent/stream-query-outside-transaction.sql',
      ["streamQuery(db, taxRates.query({ validAt: '2023-05-01' }).selectAll(), { batchSize: 5000 }) outside a transaction: every statement sent, in order", 'cursorBatches (src/read/cursor-batches.ts)'],
      sent,
    )
  })

  it('load inside a transaction', async () => {
    const repository = bitemporal(logged.db, taxRates)
    const sent = await sentBy(() =>
      logged.db.transaction().execute(async (trx) => {
        await repository.with(trx).load([
          { key: { state_id: 2, tax_type: 'vat' }, values: { rate: '0.1' }, effective: { from: '2023-01-01', to: '2024-01-01' } },
          { key: { state_id: 2, tax_type: 'vat' }, values: { rate: '0.2' }, effective: { from: '2024-01-01', to: null } },
        ])
      }),
    )
    await golden(
      'tax-rates/sent/load-in-transaction.sql',
      ['taxRates.with(trx).load(two versions) inside a transaction: every statement sent, in order', 'loadVersions (src/write/load-versions.ts)'],
      sent,
    )
  })

  it('erase', async () => {
    const repository = bitemporal(logged.db, customers)
    const sent = await sentBy(() => repository.erase({ customer_id: 1 }, { actor: 'dpo', reason: 'request 1', columns: ['name'] }))
    await golden('sent/erase.sql', ["customers.erase(key, { actor, reason, columns: ['name'] }) (the parent of contracts): every statement sent", 'eraseKey (src/repository/erase.ts)'], sent)
  })

  it('a write run again in turn: the key lock first', async () => {
    const sent = await sentBy(() => logged.db.transaction().execute((trx) => queueForKey(trx, '42')))
    await golden(
      'sent/queue-for-key.sql',
      [
        "the first statement of a write's next attempt after it found its key's lock busy (transaction() and a single write's retry): every statement sent",
        'queueForKey(trx, keyLock) (src/transaction/transaction.ts)',
      ],
      sent,
    )
  })
})
