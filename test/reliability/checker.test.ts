import { type ControlledTransaction, sql } from 'kysely'
import { beforeAll, expect, it } from 'vitest'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { useTestDatabase } from '../support/database.js'
import { rejectsWithCode } from '../support/rejects-with-code.js'
import { checkHistory } from './support/check-history.js'
import { loadTable, prepareLoad } from './support/load-table.js'
import type { RandomWrite } from './support/random-write.js'
import { ackedWrite, writeAndAck } from './support/run-load.js'

// The checker must be able to fail: each test plants one kind of damage the
// load, faults and restart scenarios claim never happens, and expects the
// checker to name it. The database's own guards (the exclusion constraint and
// the history trigger) would refuse the damage, so the overlap and the empty
// range go into an unguarded copy of the table.

const database = useTestDatabase()
const write = (operation: RandomWrite['operation'], key: number, seq: number, from: string, to: string | null): RandomWrite => ({
  operation,
  key,
  from,
  to,
  worker: 1,
  seq,
  amount: operation === 'set' || operation === 'setFrom' || operation === 'insert' ? String(seq) : null,
})

beforeAll(async () => {
  await prepareLoad(database().db, [1, 2, 3])
  const writes = [
    write('set', 1, 1, '2024-02-01', '2024-03-01'),
    write('update', 1, 2, '2024-02-15', '2024-04-01'),
    write('setFrom', 2, 3, '2024-05-01', null),
    write('correct', 2, 4, '2024-06-01', null),
    write('delete', 3, 5, '2024-01-10', '2024-01-20'),
    write('insert', 3, 6, '2024-01-12', '2024-01-14'),
  ]
  for (const w of writes) await ackedWrite(database().db, w)
})

const copies = async (versions: string, acks: string): Promise<void> => {
  await sql`create table ${sql.table(versions)} as select * from ${sql.table(loadTable.name)}`.execute(database().db)
  await sql`create table ${sql.table(acks)} as select * from ack_log`.execute(database().db)
}

it('passes a history that is exactly the acknowledged writes', async () => {
  const check = await checkHistory(database().db)
  expect(check.problems).toEqual([])
  expect(check.figures).toMatchObject({ acknowledged: 9, acknowledgedNoOps: 0 })
  expect(check.figures.readBack).toBeGreaterThan(0)
})

it('refuses to fill a gap retroactively: an earlier system time after a later write to the key committed', async () => {
  // Key 3 has had a gap at [Jan 14, Jan 20) since the set-up. A takes its
  // system time first; B deletes from Jan 15 (in the gap) and commits; then
  // A tries to set [Jan 15, Jan 17), in the gap. No row of either would
  // overlap the other in both times, so the exclusion constraint has nothing
  // to catch, but as known at B's time Jan 15 would no longer be empty
  // (docs/semantics.md invariant 5): the write statement sees B's rows, started and closed
  // after A's time, and refuses (40001), so A runs again with a later time.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely<any> transactions
  const a: ControlledTransaction<any> = await database().db.startTransaction().execute()
  await sql`select bitemporal.system_time()`.execute(a)
  await ackedWrite(database().db, write('delete', 3, 7, '2024-01-15', '2024-02-01'))
  try {
    await rejectsWithCode(() => writeAndAck(a, write('set', 3, 8, '2024-01-15', '2024-01-17'), () => 1, {}), 'CONCURRENT_WRITE')
  } finally {
    await a.rollback().execute()
  }
  await ackedWrite(database().db, write('set', 3, 8, '2024-01-15', '2024-01-17'))
  const check = await checkHistory(database().db)
  expect(check.problems).toEqual([])
})

it('finds an acknowledged write that is missing from history (a lost write)', async () => {
  await copies('lost_versions', 'lost_acks')
  await sql`insert into lost_acks (worker, seq, key, operation, portion_from, value_worker, value_seq, amount, system_time, system_at, transaction_at, closed, inserted)
            select 1, 99, 2, 'set', '2024-08-01', 1, 99, 99, bitemporal.format_system_time(t), t, t, 1, 3
            from (select bitemporal.system_time() as t) as now`.execute(database().db)
  const { problems } = await checkHistory(database().db, { versions: 'lost_versions', acks: 'lost_acks' })
  expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^acknowledged write missing from history \(lost\): .*"writes":"1\/99"/)]))
})

it('finds a write in history that no ack records (an unacknowledged write)', async () => {
  await copies('unacked_versions', 'unacked_acks')
  // The write goes to the real table, outside any ack; the checker reads that table against the copied log.
  await bitemporal(database().db, loadTable).set({ id: 1 }, { from: '2024-09-01', to: '2024-10-01' }, { worker: 7, seq: 7, amount: '7' })
  const { problems } = await checkHistory(database().db, { versions: loadTable.name, acks: 'unacked_acks' })
  expect(problems).toEqual([
    expect.stringMatching(/^history written without an acknowledged write: /),
    expect.stringMatching(/^values that no acknowledged write of the key wrote: .*"worker":7/),
  ])
})

it('finds overlapping versions and empty ranges (invariants 1 and 4)', async () => {
  await copies('overlap_versions', 'overlap_acks')
  await sql`insert into overlap_versions select * from overlap_versions where id = 2 and upper_inf(system) limit 1`.execute(database().db)
  await sql`insert into overlap_versions (id, worker, seq, amount, effective, system)
            select id, worker, seq, amount, 'empty'::daterange, system from overlap_versions where id = 3 limit 1`.execute(database().db)
  const { problems } = await checkHistory(database().db, { versions: 'overlap_versions', acks: 'overlap_acks' })
  expect(problems).toEqual(
    expect.arrayContaining([expect.stringMatching(/^overlap \(invariant 1\): .*"id":2/), expect.stringMatching(/^empty or reversed range \(invariant 4\): .*"id":3/)]),
  )
})

it('finds a version whose content, as known at its write, is not what the write wrote (invariant 5)', async () => {
  await copies('changed_versions', 'changed_acks')
  await sql`update changed_acks set value_seq = 1000, amount = 1000 where seq = 3`.execute(database().db)
  const { problems } = await checkHistory(database().db, { versions: 'changed_versions', acks: 'changed_acks' })
  expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^state as known at a write's system time does not show the write \(invariant 5\): .*"seq":3/)]))
})
