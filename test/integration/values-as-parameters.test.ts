import { randomBytes } from 'node:crypto'
import { type CompiledQuery, Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AnyKysely, bitemporal, combineTimelines, createTable, defineTable, install, streamQuery } from '../../src/index.js'
import { useTestDatabase } from '../support/database.js'

// Issue 8, identifier safety: "values always travel as parameters". Every
// public call below gets values carrying a random marker (and SQL that would
// do harm if it were spliced in); the check is structural: the marker is in
// the parameters the driver sends, never in any SQL text.

const database = useTestDatabase()
const marker = `bt${randomBytes(6).toString('hex')}`
const hostile = `${marker}'); drop table notes; --`

const notes = defineTable({ name: 'notes', key: { owner: 'text', slot: 'integer' }, values: { body: 'text', tags: 'text[]', meta: 'jsonb' }, audit: true })

let db: AnyKysely
const sent: CompiledQuery[] = []

beforeAll(async () => {
  await install(database().db)
  await createTable(database().db, notes)
  db = new Kysely({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database().url, max: 2 }) }),
    log: (event) => {
      sent.push(event.query)
    },
  })
})

afterAll(async () => {
  await db.destroy()
})

/** The SQL text: the library's named statements travel in `sql` as objects whose `toString()` is the text. */
function textOf(query: CompiledQuery): string {
  const text: unknown = query.sql
  return String(text)
}

/** Runs `call`, then checks what it sent: the marker in some parameter, in no SQL text. */
async function expectParametersOnly(call: () => Promise<unknown>): Promise<void> {
  sent.length = 0
  await call()
  expect(sent.length).toBeGreaterThan(0)
  for (const query of sent) expect(textOf(query)).not.toContain(marker)
  expect(sent.some((query) => JSON.stringify(query.parameters).includes(marker))).toBe(true)
}

describe('every value is a parameter', () => {
  const key = { owner: hostile, slot: 1 }
  const audit = { actor: hostile, reason: hostile }

  it.each([
    ['insert', () => bitemporal(db, notes).insert(key, { from: '2024-01-01', to: '2024-02-01' }, { body: hostile, tags: [hostile], meta: { hostile } }, audit)],
    ['set', () => bitemporal(db, notes).set(key, { from: '2024-02-01' }, { body: hostile }, audit)],
    ['set with to', () => bitemporal(db, notes).set(key, { from: '2024-03-01', to: '2024-04-01' }, { body: `${hostile} 2` }, audit)],
    ['update', () => bitemporal(db, notes).update(key, { from: '2024-03-15', to: '2024-03-20' }, { tags: [hostile, 'x'] }, audit)],
    ['correct', () => bitemporal(db, notes).correct(key, { at: '2024-01-10' }, { meta: [hostile] }, audit)],
    ['delete', () => bitemporal(db, notes).delete(key, { from: '2024-05-01' }, audit)],
    ['load', () => bitemporal(db, notes).load([{ key: { owner: hostile, slot: 2 }, effective: { from: '2024-01-01' }, values: { body: hostile } }], audit)],
    ['asOf', () => bitemporal(db, notes).asOf(key, { validAt: '2024-01-15' })],
    ['asOf with knownAt', () => bitemporal(db, notes).asOf(key, { validAt: '2024-01-15', knownAt: new Date() })],
    ['timeline', () => bitemporal(db, notes).timeline(key)],
    ['timeline, windowed and coalesced', () => bitemporal(db, notes).timeline(key, { from: '2024-01-01', to: '2024-06-01', coalesce: true })],
    ['history', () => bitemporal(db, notes).history(key)],
    ['lastChange', () => bitemporal(db, notes).lastChange(key)],
    ['changes of a key', () => bitemporal(db, notes).changes({ since: '2000-01-01T00:00:00Z', key })],
    ['query', () => bitemporal(db, notes).query({ validAt: '2024-01-15' }).selectAll().where('owner', '=', hostile).execute()],
    [
      'streamHistory',
      async () => {
        for await (const version of bitemporal(db, notes).streamHistory(key)) expect(version.key.owner).toBe(hostile)
      },
    ],
    [
      'streamQuery',
      async () => {
        for await (const row of streamQuery(db, bitemporal(db, notes).query({ validAt: 'any' }).select('owner').where('owner', '=', hostile))) {
          expect(row.owner).toBe(hostile)
        }
      },
    ],
    ['combineTimelines', () => combineTimelines(db, { left: { table: notes, key }, right: { table: notes, key: { owner: hostile, slot: 2 } } })],
  ])('%s', async (_, call) => {
    await expectParametersOnly(call)
  })

  it('wrote the hostile values as data, and the table is still there', async () => {
    const history = await bitemporal(db, notes).history({ owner: hostile, slot: 1 })
    expect(history.map((v) => v.values.body)).toContain(hostile)
    expect(history.every((v) => v.audit?.recordedBy === hostile)).toBe(true)
  })
})
