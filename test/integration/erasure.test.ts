import { randomBytes } from 'node:crypto'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AnyKysely, bitemporal, createTable, defineTable, install } from '../../src/index.js'
import { useTestDatabase } from '../support/database.js'
import { rejectsWithCode } from '../support/rejects-with-code.js'

// Issue 8, erasure: bitemporal.erase() (sql/0005_erasure.sql) and repo.erase
// redact an entity's values across all its versions, for a compliance role
// only, leave the history's shape and an erasure record, and give the
// application role no way in, neither through the function nor raw SQL.

const database = useTestDatabase()
const suffix = randomBytes(4).toString('hex')
const roles = { owner: `bt_owner_${suffix}`, writer: `bt_writer_${suffix}`, compliance: `bt_dpo_${suffix}`, sloppy: `bt_sloppy_${suffix}` }

const customers = defineTable({
  name: 'customers',
  key: { id: 'integer' },
  values: { name: 'text not null', email: 'text', tier: 'integer not null default 0', score: 'numeric not null', note: 'varchar(20)' },
  audit: true,
})
const KEY = { id: 7 }
const asRole = {} as Record<keyof typeof roles, AnyKysely>

function sessionAs(role: string): AnyKysely {
  return new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database().url, max: 2, options: `-c role=${role}` }) }) })
}

/** Every stored row of the table, as PostgreSQL's text image. */
async function rows(): Promise<string[]> {
  const result = await sql<{ row: string }>`select t::text as row from customers t order by lower(system), lower(effective)`.execute(database().db)
  return result.rows.map((r) => r.row)
}

/** The shape of the history: key, ranges and audit columns, without the values. */
async function shape(): Promise<unknown[]> {
  const result = await sql`select id, effective::text, system::text, recorded_by, recorded_reason, closed_by, closed_reason
    from customers order by lower(system), lower(effective)`.execute(database().db)
  return result.rows
}

beforeAll(async () => {
  const admin = database().db
  for (const role of Object.values(roles)) await sql`create role ${sql.id(role)}`.execute(admin)
  await sql`grant create on database ${sql.id(database().name)} to ${sql.id(roles.owner)}`.execute(admin)
  await sql`grant create on schema public to ${sql.id(roles.owner)}`.execute(admin)
  for (const role of Object.keys(roles) as (keyof typeof roles)[]) asRole[role] = sessionAs(roles[role])
  const owner = asRole.owner
  await install(owner)
  await createTable(owner, customers)
  await sql`select bitemporal.grant_writer(${roles.writer}::regrole), bitemporal.grant_writer(${roles.sloppy}::regrole),
    bitemporal.grant_reader(${roles.compliance}::regrole), bitemporal.grant_eraser(${roles.compliance}::regrole)`.execute(owner)
  // A misconfigured role with UPDATE on every column: the guard must still hold.
  await sql`grant update on customers to ${sql.id(roles.sloppy)}`.execute(owner)
  const app = bitemporal(asRole.writer, customers)
  await app.set(KEY, { from: '2023-01-01' }, { name: 'Ada', email: 'ada@example.com', score: '1', note: 'likes tea' }, { actor: 'app' })
  await app.update(KEY, { from: '2023-06-01' }, { email: 'ada@work.example', tier: 2 }, { actor: 'app', reason: 'moved' })
  await app.set({ id: 8 }, { from: '2023-01-01' }, { name: 'Bob', email: 'bob@example.com', score: '2' }, { actor: 'app' })
})

afterAll(async () => {
  await Promise.all(Object.values(asRole).map((db) => db.destroy()))
  const admin = database().db
  for (const role of Object.values(roles)) await sql`drop owned by ${sql.id(role)} cascade`.execute(admin).catch(() => undefined)
  await database().drop()
  for (const role of Object.values(roles)) await sql`drop role if exists ${sql.id(role)}`.execute(admin).catch(() => undefined)
})

describe('the application role cannot erase', () => {
  it.each([
    ['call bitemporal.erase', `select * from bitemporal.erase('customers', '{"id": 7}', 'no', 'app')`, '42501'],
    ['read the erasure records', `select * from bitemporal.erasure`, '42501'],
    ['write an erasure record of its own', `insert into bitemporal.erasure (relation, key, columns, reason, actor, versions) values ('customers', '{"id": 7}', '{email}', 'x', 'x', 1)`, '42501'],
    ['grant itself erasure', `select bitemporal.grant_eraser(current_user::regrole)`, '42501'],
    ['redact with a raw UPDATE', `update customers set email = null where id = 7`, '42501'],
    ['fake an erasure with the setting and a raw UPDATE', `select set_config('bitemporal.erasing', '1', false); update customers set email = null where id = 7`, '42501'],
  ])('cannot %s', async (_, statement, sqlState) => {
    const before = await rows()
    await expect(sql.raw(statement).execute(asRole.writer)).rejects.toMatchObject({ code: sqlState })
    expect(await rows()).toEqual(before)
  })

  it('through the library, erase is a DatabaseError 42501 and changes nothing', async () => {
    const before = await rows()
    const error = await rejectsWithCode(() => bitemporal(asRole.writer, customers).erase(KEY, { reason: 'r', actor: 'app' }), 'DATABASE_ERROR')
    expect(error.sqlState).toBe('42501')
    expect(await rows()).toEqual(before)
  })

  it('a role with UPDATE on every column still meets the history guard, with or without the erasure setting', async () => {
    const before = await rows()
    for (const setting of [undefined, '1', 'not a number']) {
      const attempt = asRole.sloppy.transaction().execute(async (trx) => {
        if (setting !== undefined) await sql`select set_config('bitemporal.erasing', ${setting}, true)`.execute(trx)
        await sql`update customers set email = null where id = 7`.execute(trx)
      })
      await expect(attempt).rejects.toMatchObject({ code: 'BT001' })
    }
    expect(await rows()).toEqual(before)
  })
})

describe('a compliance role erases', () => {
  it('checks its arguments before sending anything, and the key must have versions', async () => {
    const repository = bitemporal(asRole.compliance, customers)
    const before = await rows()
    await rejectsWithCode(() => repository.erase(KEY, { reason: ' ', actor: 'dpo' }), 'INVALID_INPUT')
    await rejectsWithCode(() => repository.erase(KEY, { reason: 'r', actor: '' }), 'INVALID_INPUT')
    await rejectsWithCode(() => repository.erase(KEY, { reason: 'r', actor: 'dpo', columns: ['id'] as never }), 'INVALID_INPUT')
    await rejectsWithCode(() => repository.erase(KEY, { reason: 'r', actor: 'dpo', columns: ['nope'] as never }), 'INVALID_INPUT')
    await rejectsWithCode(() => repository.erase(KEY, { reason: 'r', actor: 'dpo', columns: [] }), 'INVALID_INPUT')
    await rejectsWithCode(() => repository.erase({ id: 7, extra: 1 } as never, { reason: 'r', actor: 'dpo' }), 'INVALID_INPUT')
    const typo = await rejectsWithCode(() => repository.erase(KEY, { reason: 'r', actor: 'dpo', why: 'typo' } as never), 'INVALID_INPUT')
    expect(typo.message).toBe('bitemporal: erase: unknown option "why"; the options are { reason, actor, columns? }')
    // A not-null numeric without a default has nothing to stand in for it: the database says so.
    const score = await rejectsWithCode(() => repository.erase(KEY, { reason: 'r', actor: 'dpo', columns: ['score'] }), 'INVALID_INPUT')
    expect(score.message).toContain('score')
    const missing = await rejectsWithCode(() => repository.erase({ id: 404 }, { reason: 'r', actor: 'dpo', columns: ['email'] }), 'NOT_FOUND')
    expect(missing.message).toMatch(/^bitemporal: erase: .*no versions/)
    expect(await rows()).toEqual(before)
    const records = await sql`select count(*)::int as n from bitemporal.erasure`.execute(asRole.compliance)
    expect(records.rows).toEqual([{ n: 0 }])
  })

  it('redacts the chosen columns in every version, keeps the history shape, and records who, when and why', async () => {
    const repository = bitemporal(asRole.compliance, customers)
    const shapeBefore = await shape()
    const bob = (await rows()).filter((row) => row.startsWith('(8,'))
    const versionsBefore = await repository.history(KEY)
    expect(versionsBefore.length).toBeGreaterThanOrEqual(3)
    const result = await repository.erase(KEY, { reason: 'GDPR art. 17, ticket 991', actor: 'dpo@example.com', columns: ['name', 'email', 'note', 'tier'] })
    expect(result).toEqual({ erasureId: expect.stringMatching(/^\d+$/) as unknown, versions: versionsBefore.length, columns: ['name', 'email', 'note', 'tier'] })

    const versionsAfter = await repository.history(KEY)
    expect(versionsAfter.map((v) => [v.effective, v.system, v.audit])).toEqual(versionsBefore.map((v) => [v.effective, v.system, v.audit]))
    for (const [i, version] of versionsAfter.entries()) {
      // null where allowed, the default for tier (not null default 0), the marker for a not-null text; score kept.
      expect(version.values).toEqual({ name: '[erased]', email: null, tier: 0, score: versionsBefore[i]?.values.score, note: null })
    }
    expect(await shape()).toEqual(shapeBefore)
    expect((await rows()).filter((row) => row.startsWith('(8,'))).toEqual(bob)
    expect(JSON.stringify(await rows())).not.toMatch(/ada@|Ada|tea/)

    const records = await sql<Record<string, unknown>>`select relation::text, key, columns, reason, actor, erased_by, versions,
        erased_at = (select min(lower(system)) from customers) as not_a_version_time,
        erased_at <= bitemporal.system_time() and erased_at > bitemporal.system_time() - interval '1 hour' as recent
      from bitemporal.erasure`.execute(asRole.compliance)
    expect(records.rows).toEqual([
      {
        relation: 'customers',
        key: { id: 7 },
        columns: ['name', 'email', 'note', 'tier'],
        reason: 'GDPR art. 17, ticket 991',
        actor: 'dpo@example.com',
        erased_by: roles.compliance,
        versions: versionsBefore.length,
        not_a_version_time: false,
        recent: true,
      },
    ])
  })

  it('all value columns by default, where each has a stand-in; later writes to the key still work', async () => {
    const repository = bitemporal(asRole.compliance, customers)
    const app = bitemporal(asRole.writer, customers)
    await app.set({ id: 9 }, { from: '2023-01-01' }, { name: 'Cy', email: 'cy@example.com', score: '3', note: 'n' }, { actor: 'app' })
    // score (numeric not null, no default) has no stand-in: all columns means all, so the call refuses.
    await rejectsWithCode(() => repository.erase({ id: 9 }, { reason: 'request', actor: 'dpo' }), 'INVALID_INPUT')
    await repository.erase({ id: 9 }, { reason: 'request', actor: 'dpo', columns: ['name', 'email', 'note'] })
    const written = await app.set({ id: 9 }, { from: '2024-01-01' }, { name: 'Anonymous', score: '4' }, { actor: 'app' })
    expect(written.systemTime).not.toBeNull()
    expect((await app.timeline({ id: 9 })).map((v) => [v.effective.from, v.values.name, v.values.email])).toEqual([
      ['2023-01-01', '[erased]', null],
      ['2024-01-01', 'Anonymous', null],
    ])
    // The guard is back in force after the erasure, even for the owner's plain UPDATE.
    await expect(sql`update customers set email = 'x' where id = 9`.execute(asRole.owner)).rejects.toMatchObject({ code: 'BT001' })
  })
})
