import { randomBytes } from 'node:crypto'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AnyKysely } from '../../src/any-kysely.js'
import { BitemporalError } from '../../src/errors/errors.js'
import { mapDatabaseError } from '../../src/errors/map-database-error.js'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { alterTable } from '../../src/schema/alter-table/alter-table.js'
import { dropColumnSql } from '../../src/schema/alter-table/drop-column-sql.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'
import { rejection } from '../support/rejection.js'
import { standInAlterTable } from '../support/stand-in-alter-table.js'

// Dropping a value column as an explicit, audited operation
// (docs/semantics.md §5a): only the table's owner, with actor and reason,
// recorded in bitemporal.dropped_column in the DROP's own transaction.

const database = useTestDatabase()
const suffix = randomBytes(4).toString('hex')
const roles = { owner: `bt_drop_owner_${suffix}`, writer: `bt_drop_writer_${suffix}` }
const as: Partial<Record<keyof typeof roles, AnyKysely>> = {}
const session = (role: keyof typeof roles): AnyKysely => {
  const db = as[role]
  if (db === undefined) throw new Error(`no session for ${role}`)
  return db
}

const before = defineTable({ name: 'coded', key: { id: 'integer' }, values: { amount: 'numeric', legacy_code: 'varchar(12)' } })
const after = defineTable({ name: 'coded', key: { id: 'integer' }, values: { amount: 'numeric' } })
const audit = { actor: 'ops@example.com', reason: 'TICKET-12: legacy codes retired' }

interface Row {
  id: number
  amount: string
  effective: string
  system: string
}

async function rows(): Promise<Row[]> {
  const result = await sql<Row>`select id, amount::text, effective::text, system::text from coded order by id, lower(effective), lower(system)`.execute(database().db)
  return result.rows
}

async function columns(): Promise<string[]> {
  const result = await sql<{ name: string }>`
    select attname as name from pg_attribute where attrelid = 'coded'::regclass and attnum > 0 and not attisdropped order by attnum`.execute(database().db)
  return result.rows.map((row) => row.name)
}

async function log(): Promise<Record<string, unknown>[]> {
  const result = await sql<Record<string, unknown>>`
    select relation, column_name, column_type, versions::text, actor, reason, dropped_by, login, dropped_at is not null as timed
    from bitemporal.dropped_column order by id`.execute(database().db)
  return result.rows
}

beforeAll(async () => {
  const admin = database().db
  for (const role of Object.values(roles)) await sql`create role ${sql.id(role)}`.execute(admin)
  await sql`grant create on database ${sql.id(database().name)} to ${sql.id(roles.owner)}`.execute(admin)
  await sql`grant create on schema public to ${sql.id(roles.owner)}`.execute(admin)
  for (const role of Object.keys(roles) as (keyof typeof roles)[]) {
    as[role] = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database().url, max: 2, options: `-c role=${roles[role]}` }) }) })
  }
  await install(session('owner'))
  await createTable(session('owner'), before)
  await sql`select bitemporal.grant_writer(${roles.writer}::regrole)`.execute(session('owner'))
  const repo = bitemporal(session('writer'), before)
  await repo.set({ id: 1 }, { from: '2024-01-01' }, { amount: '10', legacy_code: 'A-1' })
  await repo.update({ id: 1 }, { from: '2024-03-01' }, { amount: '11' }) // carries A-1: two current versions hold it, one closed
  await repo.set({ id: 2 }, { from: '2024-01-01' }, { amount: '20', legacy_code: null })
  await repo.set({ id: 3 }, { from: '2024-01-01', to: '2024-02-01' }, { amount: '30', legacy_code: 'C-3' })
})

afterAll(async () => {
  await Promise.all(Object.values(as).map((db) => db.destroy()))
  const admin = database().db
  for (const role of Object.values(roles)) await sql`drop owned by ${sql.id(role)} cascade`.execute(admin).catch(() => undefined)
  await database().drop()
  for (const role of Object.values(roles)) await sql`drop role if exists ${sql.id(role)}`.execute(admin).catch(() => undefined)
})

describe('dropping a value column', () => {
  it('is refused for a role that does not own the table, with a typed error, and nothing changes', async () => {
    const history = await rows()
    const error = mapDatabaseError(
      await rejection(
        session('writer').transaction().execute(async (trx) => {
          for (const statement of dropColumnSql(after, 'legacy_code', audit)) await sql.raw(statement).execute(trx)
        }),
      ),
    )
    expect(error).toBeInstanceOf(BitemporalError)
    expect([error.code, error.sqlState]).toEqual(['DATABASE_ERROR', '42501'])
    expect(error.message).toMatch(/only the owner of "coded" may drop its column "legacy_code"/)
    expect(await columns()).toEqual(['id', 'amount', 'legacy_code', 'effective', 'system'])
    expect(await log()).toEqual([])
    expect(await rows()).toEqual(history)
  })

  it('the log function refuses a role that does not own the table, even called directly', async () => {
    const error = mapDatabaseError(
      await rejection(sql`select bitemporal.record_dropped_column('coded'::regclass, 'legacy_code', 0, 'me', 'forged')`.execute(session('writer'))),
    )
    expect(error.sqlState).toBe('42501')
    expect(await log()).toEqual([])
  })

  it('by the owner, with actor and reason: recorded with its counts and names, the column gone, history intact, writes work', async () => {
    const history = await rows()
    await standInAlterTable(session('owner'), after, dropColumnSql(after, 'legacy_code', audit))
    expect(await log()).toEqual([
      {
        relation: 'public.coded',
        column_name: 'legacy_code',
        column_type: 'character varying(12)',
        // id 1: the closed [2024-01-01,) and the two current versions carry A-1; id 3 its one.
        versions: '4',
        actor: audit.actor,
        reason: audit.reason,
        dropped_by: roles.owner,
        login: (await sql<{ u: string }>`select session_user as u`.execute(database().db)).rows[0]?.u,
        timed: true,
      },
    ])
    expect(await columns()).toEqual(['id', 'amount', 'effective', 'system'])
    expect(await rows()).toEqual(history)

    const repo = bitemporal(session('writer'), after)
    await repo.update({ id: 2 }, { from: '2024-05-01' }, { amount: '21' })
    expect((await repo.timeline({ id: 2 })).map((v) => v.values.amount)).toEqual(['20', '21'])
    // The guard still refuses an UPDATE that is not a close.
    const stray = mapDatabaseError(await rejection(sql`update coded set system = tsrange(lower(system), null) where id = 1`.execute(session('owner'))))
    expect(stray.code).toBe('IMMUTABLE_HISTORY')
  })

  it('refuses, before anything is sent, a drop without actor or reason or of a column the definition keeps', () => {
    const refused = (run: () => unknown): string => {
      try {
        run()
      } catch (error) {
        return (error as BitemporalError).code
      }
      return 'accepted'
    }
    expect(refused(() => dropColumnSql(after, 'amount', audit))).toBe('INVALID_INPUT')
    expect(refused(() => dropColumnSql(after, 'id', audit))).toBe('INVALID_INPUT')
    expect(refused(() => dropColumnSql(after, 'system', audit))).toBe('INVALID_INPUT')
    expect(refused(() => dropColumnSql(after, 'legacy_code', { actor: 'ops', reason: ' ' }))).toBe('INVALID_INPUT')
    expect(refused(() => dropColumnSql(after, 'legacy_code', { actor: 'ops' } as never))).toBe('INVALID_INPUT')
    expect(refused(() => dropColumnSql(after, 'legacy_code', { ...audit, when: 'now' } as never))).toBe('INVALID_INPUT')
    expect(refused(() => dropColumnSql(after, 'legacy"code', audit))).toBe('INVALID_INPUT')
    expect(refused(() => dropColumnSql(after, 'legacy_code', audit))).toBe('accepted')
  })
})

describe('alterTable and a value column the definition leaves out', () => {
  const wide = defineTable({ name: 'noted', key: { id: 'integer' }, values: { amount: 'numeric', note: 'text' } })
  const narrow = defineTable({ name: 'noted', key: { id: 'integer' }, values: { amount: 'numeric' } })

  it('refuses the drop unless it is named with actor and reason, changing nothing; named, drops and records it', async () => {
    const owner = session('owner')
    await createTable(owner, wide)
    await bitemporal(owner, wide).set({ id: 1 }, { from: '2024-01-01' }, { amount: '1', note: 'kept until now' })
    const columnsOf = async (): Promise<string[]> =>
      (await sql<{ name: string }>`select attname as name from pg_attribute where attrelid = 'noted'::regclass and attnum > 0 and not attisdropped order by attnum`.execute(owner)).rows.map((row) => row.name)

    const unnamed = await rejection(alterTable(owner, narrow))
    expect((unnamed as BitemporalError).code).toBe('SCHEMA_CHANGE_REFUSED')
    expect((unnamed as Error).message).toMatch(/drop: \['note'\], actor, reason/)
    const unaudited = await rejection(alterTable(owner, narrow, { drop: ['note'] }))
    expect((unaudited as BitemporalError).code).toBe('INVALID_INPUT')
    const byWriter = mapDatabaseError(await rejection(alterTable(session('writer'), narrow, { drop: ['note'], ...audit })))
    expect(byWriter.sqlState).toBe('42501')
    expect(await columnsOf()).toEqual(['id', 'amount', 'note', 'effective', 'system'])
    expect((await log()).filter((row) => row['relation'] === 'public.noted')).toEqual([])

    await alterTable(owner, narrow, { drop: ['note'], ...audit })
    expect(await columnsOf()).toEqual(['id', 'amount', 'effective', 'system'])
    expect((await log()).filter((row) => row['relation'] === 'public.noted').map((row) => [row['column_name'], row['column_type'], row['versions']])).toEqual([['note', 'text', '1']])
    await bitemporal(owner, narrow).update({ id: 1 }, { from: '2024-02-01' }, { amount: '2' })
    expect((await bitemporal(owner, narrow).timeline({ id: 1 })).map((v) => v.values)).toEqual([{ amount: '1' }, { amount: '2' }])
  })
})
