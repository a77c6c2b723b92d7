import { type Kysely, sql } from 'kysely'
import { install } from '../../../src/install/install.js'
import { bitemporal } from '../../../src/repository/bitemporal.js'
import type { Repository } from '../../../src/repository/repository.js'
import { createTable } from '../../../src/schema/create-table.js'
import { defineTable } from '../../../src/schema/define-table.js'
import { transaction } from '../../../src/transaction/transaction.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tables made by the suite
export type Db = Kysely<any>

/**
 * The table under load. `worker` and `seq` name the write that produced a
 * version's values, so the checker can tell whose values it finds; `amount`
 * is left alone by `update` and `correct` (they patch only worker and seq).
 */
export const loadTable = defineTable({
  name: 'reliability_versions',
  key: { id: 'integer' },
  values: { worker: 'integer not null', seq: 'integer not null', amount: 'numeric' },
})
export type LoadTable = typeof loadTable
export type LoadRepository = Repository<LoadTable>

/** The first day of the valid-time axis the writers work on. */
export const EPOCH = '2024-01-01'

/**
 * The side log. A writer inserts its row in the same transaction as the
 * write, so a row here exists iff the write committed: it is the list of
 * acknowledged writes, whatever the client saw (a COMMIT can succeed on the
 * server and still fail on the client when the connection drops).
 */
export async function createAckLog(db: Db): Promise<void> {
  await sql`
    create table ack_log (
      id bigserial primary key,
      worker integer not null,
      seq integer not null,
      key integer not null,
      operation text not null,
      portion_from date not null,
      portion_to date,
      value_worker integer,
      value_seq integer,
      amount numeric,
      -- What the write returned (null for a no-op) and the transaction's own system time.
      system_time text,
      system_at timestamp,
      transaction_at timestamp not null,
      closed integer not null,
      inserted integer not null,
      unique (worker, seq)
    )`.execute(db)
}

/** Installs the library, creates the table and the log, and loads one version per key, acknowledged like any write. */
export async function prepareLoad(db: Db, keys: readonly number[]): Promise<void> {
  await install(db)
  await createTable(db, loadTable)
  await createAckLog(db)
  await transaction(db, async (trx) => {
    const { systemTime } = await bitemporal(trx, loadTable).load(
      keys.map((id) => ({ key: { id }, effective: { from: EPOCH }, values: { worker: 0, seq: id, amount: '0' } })),
    )
    await sql`
      insert into ack_log (worker, seq, key, operation, portion_from, value_worker, value_seq, amount,
                           system_time, system_at, transaction_at, closed, inserted)
      select 0, k, k, 'load', ${EPOCH}::date, 0, k, 0, ${systemTime}, ${systemTime}::timestamptz at time zone 'UTC',
             bitemporal.system_time(), 0, 1
      from unnest(${[...keys]}::integer[]) as k`.execute(trx)
  })
}
