import { randomBytes } from 'node:crypto'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AnyKysely, bitemporal, createTable, defineTable, install, transaction } from '../../src/index.js'
import { useTestDatabase } from '../support/database.js'
import { rejectsWithCode } from '../support/rejects-with-code.js'

// Issue 8, least privilege: an owner role installs and creates the tables;
// an application role writes through the library and cannot rewrite or
// delete history even with raw SQL, nor take the guards away.

const database = useTestDatabase()
const suffix = randomBytes(4).toString('hex')
const roles = { owner: `bt_owner_${suffix}`, writer: `bt_writer_${suffix}`, reader: `bt_reader_${suffix}` }

const rates = defineTable({ name: 'rates', key: { id: 'integer' }, values: { rate: 'numeric not null', note: 'text' } })
const audited = defineTable({ name: 'audited_rates', key: { id: 'integer' }, values: { rate: 'numeric not null' }, audit: true })
const contracts = defineTable({ name: 'contracts', key: { customer: 'text', number: 'integer' }, values: { fee: 'numeric not null' }, entity: true })
const lines = defineTable({
  name: 'contract_lines',
  key: { customer: 'text', number: 'integer', line: 'integer' },
  values: { amount: 'numeric not null' },
  references: [{ table: contracts, columns: { customer: 'customer', number: 'number' } }],
})

const asRole: Record<keyof typeof roles, AnyKysely> = {} as Record<keyof typeof roles, AnyKysely>

/** A Kysely whose sessions run as `role` (the connecting superuser switches at connection start). */
function sessionAs(role: string): AnyKysely {
  return new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database().url, max: 2, options: `-c role=${role}` }) }) })
}

beforeAll(async () => {
  const admin = database().db
  for (const role of Object.values(roles)) await sql`create role ${sql.id(role)}`.execute(admin)
  const name = sql.id(database().name)
  await sql`grant create on database ${name} to ${sql.id(roles.owner)}`.execute(admin)
  await sql`grant create on schema public to ${sql.id(roles.owner)}`.execute(admin)
  for (const role of Object.keys(roles) as (keyof typeof roles)[]) asRole[role] = sessionAs(roles[role])

  const owner = asRole.owner
  await install(owner)
  await createTable(owner, rates)
  await createTable(owner, audited)
  await createTable(owner, contracts)
  await createTable(owner, lines)
  await sql`select bitemporal.grant_writer(${roles.writer}::regrole), bitemporal.grant_reader(${roles.reader}::regrole)`.execute(owner)
  await bitemporal(owner, rates).set({ id: 1 }, { from: '2023-01-01' }, { rate: '0.15', note: 'owner wrote it' })
})

afterAll(async () => {
  await Promise.all(Object.values(asRole).map((db) => db.destroy()))
  const admin = database().db
  for (const role of Object.values(roles)) {
    await sql`drop owned by ${sql.id(role)} cascade`.execute(admin).catch(() => undefined)
  }
  await database().drop()
  for (const role of Object.values(roles)) await sql`drop role if exists ${sql.id(role)}`.execute(admin).catch(() => undefined)
})

async function historyOf(id: number): Promise<unknown> {
  return bitemporal(database().db, rates).history({ id })
}

describe('the writer role', () => {
  it('does every write and read through the library, including two writes to one key in a transaction', async () => {
    const repository = bitemporal(asRole.writer, rates)
    await repository.insert({ id: 2 }, { from: '2023-01-01', to: '2024-01-01' }, { rate: '0.1' })
    await repository.set({ id: 2 }, { from: '2023-06-01' }, { rate: '0.2' })
    await repository.update({ id: 2 }, { from: '2023-03-01', to: '2023-04-01' }, { note: 'march' })
    await repository.correct({ id: 2 }, { at: '2023-01-15' }, { rate: '0.11' })
    await repository.delete({ id: 2 }, { from: '2023-12-01' })
    await transaction(asRole.writer, async (trx) => {
      // The second write replaces the first one's uncommitted rows: the guarded DELETE.
      await bitemporal(trx, rates).set({ id: 3 }, { from: '2024-01-01' }, { rate: '1' })
      await bitemporal(trx, rates).set({ id: 3 }, { from: '2024-01-01' }, { rate: '2' })
    })
    expect((await repository.timeline({ id: 2 })).map((v) => [v.effective.from, v.effective.to, v.values.rate, v.values.note])).toEqual([
      ['2023-01-01', '2023-03-01', '0.11', null],
      ['2023-03-01', '2023-04-01', '0.1', 'march'],
      ['2023-04-01', '2023-06-01', '0.1', null],
      ['2023-06-01', '2023-12-01', '0.2', null],
    ])
    expect((await repository.history({ id: 3 })).map((v) => v.values.rate)).toEqual(['2'])
    expect(await repository.changes({ since: '2000-01-01T00:00:00Z', key: { id: 3 } })).toHaveLength(1)
    const audit = bitemporal(asRole.writer, audited)
    await audit.set({ id: 1 }, { from: '2023-01-01' }, { rate: '1' }, { actor: 'app' })
    await audit.set({ id: 1 }, { from: '2023-06-01' }, { rate: '2' }, { actor: 'app', reason: 'closing fills closed_by' })
    expect((await audit.history({ id: 1 })).map((v) => v.audit)).toContainEqual(expect.objectContaining({ closedBy: 'app' }))
    // An entity table's rows and a temporal reference's checks, as the writer.
    await transaction(asRole.writer, async (trx) => {
      await bitemporal(trx, contracts).set({ customer: 'acme', number: 1 }, { from: '2024-01-01' }, { fee: '10' })
      await bitemporal(trx, lines).set({ customer: 'acme', number: 1, line: 1 }, { from: '2024-02-01' }, { amount: '3' })
    })
    await rejectsWithCode(() => bitemporal(asRole.writer, lines).set({ customer: 'acme', number: 1, line: 2 }, { from: '2023-01-01' }, { amount: '1' }), 'REFERENCE_VIOLATION')
    await rejectsWithCode(() => bitemporal(asRole.writer, contracts).delete({ customer: 'acme', number: 1 }, { from: '2024-01-01' }), 'REFERENCE_VIOLATION')
  })

  it.each([
    ['update a value column', `update rates set rate = 9 where id = 1`, '42501'],
    ['update a value column while closing', `update rates set rate = 9, system = tsrange(lower(system), bitemporal.system_time()) where id = 1`, '42501'],
    ['reopen or move system', `update rates set system = tsrange(lower(system) - interval '1 day', null) where id = 1`, 'BT001'],
    ['delete history', `delete from rates where id = 1`, 'BT001'],
    ['truncate', `truncate rates`, '42501'],
    ['insert with a system time of its choosing', `insert into rates (id, rate, effective, system) values (9, 1, '[2020-01-01,)', '[2000-01-01,)')`, 'BT001'],
    ['disable the guard', `alter table rates disable trigger rates_guard_history`, '42501'],
    ['disable every trigger', `alter table rates disable trigger all`, '42501'],
    ['drop the guard', `drop trigger rates_guard_delete on rates`, '42501'],
    ['drop the exclusion constraint', `alter table rates drop constraint rates_no_overlap`, '42501'],
    ['add a trigger of its own', `create trigger sneaky before update on rates for each row execute function bitemporal.system_time()`, '42501'],
    ['skip triggers for the session', `set session_replication_role = replica`, '42501'],
    ['grant itself more', `select bitemporal.grant_writer(current_user::regrole)`, '42501'],
    ['drop the table', `drop table rates`, '42501'],
  ])('cannot %s with raw SQL, and history stays as it was', async (_, statement, sqlState) => {
    const before = await historyOf(1)
    await expect(sql.raw(statement).execute(asRole.writer)).rejects.toMatchObject({ code: sqlState })
    expect(await historyOf(1)).toEqual(before)
  })
})

describe('the reader role', () => {
  it('reads through the library and cannot write', async () => {
    const repository = bitemporal(asRole.reader, rates)
    expect(await repository.asOf({ id: 1 }, { validAt: '2023-05-01' })).toMatchObject({ values: { rate: '0.15' } })
    const error = await rejectsWithCode(() => repository.set({ id: 1 }, { from: '2024-01-01' }, { rate: '1' }), 'DATABASE_ERROR')
    expect(error.sqlState).toBe('42501')
    await expect(sql`insert into rates (id, rate, effective) values (8, 1, '[2020-01-01,)')`.execute(asRole.reader)).rejects.toMatchObject({ code: '42501' })
  })
})
