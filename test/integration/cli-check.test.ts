import { sql } from 'kysely'
import { describe, expect, test } from 'vitest'
import { checkProgress, PROGRESS_MIN_ROWS } from '../../src/cli/check-progress.js'
import { checkTableData, dataCheckSteps, tableSize } from '../../src/cli/check-table-data.js'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { createTable, dropTable, upgradeTable } from '../../src/schema/create-table.js'
import { defineTable, type TableDefinition } from '../../src/schema/define-table.js'
import { capturedCli, type CliRun } from '../support/captured-cli.js'
import { useTestDatabase } from '../support/database.js'
import { earlierObjectsSql } from '../support/earlier-objects.js'
import { LIBRARY_VERSIONS } from '../support/library-versions.js'

const database = useTestDatabase()

function check(): Promise<CliRun> {
  return capturedCli(['check'], { DATABASE_URL: database().url })
}

const taxRates = defineTable({
  name: 'tax_rates',
  key: { state_id: 'integer', tax_type: 'text' },
  values: { rate: 'numeric not null' },
})

const prices = defineTable({
  name: 'billing.prices',
  key: { sku: 'text' },
  values: { price: 'numeric(10,2) not null', tags: 'text[]' },
  effective: 'timestamp',
  audit: true,
})

/** A small table of its own for one breakage, with two keys of history. */
async function brokenTable(name: string): Promise<TableDefinition> {
  const definition = defineTable({ name, key: { id: 'integer' }, values: { label: 'text' } })
  await createTable(database().db, definition)
  const repository = bitemporal(database().db, definition)
  await repository.set({ id: 1 }, { from: '2023-01-01' }, { label: 'a' })
  await repository.set({ id: 1 }, { from: '2023-06-01' }, { label: 'b' })
  await repository.set({ id: 2 }, { from: '2023-01-01' }, { label: 'c' })
  return definition
}

/** Runs check, expecting exit 1 and `problems` (in order) as the lines of `table`, other tables healthy. */
async function expectProblems(table: string, problems: readonly (string | RegExp)[]): Promise<void> {
  const run = await check()
  expect(run.stderr).toBe('')
  const lines = run.stdout.split('\n')
  const heading = lines.findIndex((line) => line.startsWith(`${table}: `))
  expect(lines[heading], run.stdout).toBe(`${table}: ${String(problems.length)} ${problems.length === 1 ? 'problem' : 'problems'}`)
  const found = lines.slice(heading + 1, heading + 1 + problems.length)
  problems.forEach((problem, i) => {
    const line = found[i] ?? ''
    expect(line.startsWith(`  ${table}: `), run.stdout).toBe(true)
    if (typeof problem === 'string') expect(line, run.stdout).toBe(`  ${table}: ${problem}`)
    else expect(line, run.stdout).toMatch(problem)
  })
  // Only the broken table is reported.
  expect(lines.filter((line) => /: \d+ problems?$/.test(line))).toEqual([lines[heading]])
  expect(run.stdout).toMatch(/ checked, 1 with problems\n$/)
  expect(run.code).toBe(1)
}

describe('bitemporal check', () => {
  test('before the library is installed: exit 1, saying to run migrate up', async () => {
    const run = await check()
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error [NOT_FOUND]: the library is not installed in this database (no table bitemporal.versioned_table): run "bitemporal migrate up", or check --url\n',
    })
  })

  test('with no table registered: exit 0', async () => {
    await install(database().db)
    expect(await check()).toEqual({ code: 0, stdout: 'no bitemporal tables are registered in this database\n', stderr: '' })
  })

  test('a library version of this package not installed (upgraded without migrate up): exit 1, naming it', async () => {
    const { db } = database()
    const last = LIBRARY_VERSIONS.at(-1) ?? ''
    // As if the database had been installed by the previous release of the package.
    const { rows } = await sql<{ row: unknown }>`delete from bitemporal.library_version as v where name = ${last} returning to_jsonb(v) as row`.execute(db)
    expect(await check()).toEqual({
      code: 1,
      stdout: `bitemporal library: 1 version of this package not installed (${last}); run "bitemporal migrate up", or install(db)\nno bitemporal tables are registered in this database\n`,
      stderr: '',
    })
    await sql`insert into bitemporal.library_version select * from jsonb_populate_record(null::bitemporal.library_version, ${JSON.stringify(rows[0]?.row)}::jsonb)`.execute(db)
    expect((await check()).code).toBe(0)
  })

  test('healthy tables (dates and timestamps, audited, in a schema) pass with one line each: exit 0', async () => {
    const { db } = database()
    await sql`create schema billing`.execute(db)
    await createTable(db, taxRates)
    await createTable(db, prices)
    const rates = bitemporal(db, taxRates)
    const key = { state_id: 1, tax_type: 'income_tax' }
    for (const [from, rate] of [['2023-01-01', '0.15'], ['2023-01-01', '0.19'], ['2022-12-01', '0.14'], ['2023-02-01', '0.25']] as const) {
      await rates.set(key, { from }, { rate })
    }
    const priceRepository = bitemporal(db, prices)
    await priceRepository.set({ sku: 'shoe' }, { from: '2023-01-01T00:00:00Z' }, { price: '59.90', tags: ['a'] }, { actor: 'ops' })
    await priceRepository.set({ sku: 'shoe' }, { from: '2023-03-01T00:00:00Z' }, { price: '49.90', tags: null }, { actor: 'ops' })

    const run = await check()
    expect(run).toEqual({
      code: 0,
      stdout: 'billing.prices: ok (3 rows)\ntax_rates: ok (5 rows)\n2 tables checked, all healthy\n',
      stderr: '',
    })
  })

  test('a dropped exclusion constraint, then overlapping current versions', async () => {
    const definition = await brokenTable('no_exclusion')
    const { db } = database()
    await sql`alter table no_exclusion drop constraint no_exclusion_no_overlap`.execute(db)
    const missing = 'exclusion constraint "no_exclusion_no_overlap" is missing: nothing stops overlapping versions (invariant 1); recreate it with the DDL of createTableSql(definition) (adding it also verifies every row)'
    await expectProblems('no_exclusion', [missing])

    await sql`insert into no_exclusion (id, label, effective) values (1, 'overlapping', '[2023-03-01,2023-04-01)')`.execute(db)
    await expectProblems('no_exclusion', [
      missing,
      '1 current version overlaps the previous current version of their key in effective time (invariant 1), e.g. key {"id": 1}',
    ])
    await dropTable(db, definition, { discardHistory: true })
  })

  test('disabled triggers, and one that fires only in replica sessions', async () => {
    const definition = await brokenTable('quiet_guards')
    const { db } = database()
    await sql`alter table quiet_guards disable trigger quiet_guards_guard_delete`.execute(db)
    await sql`alter table quiet_guards enable replica trigger quiet_guards_guard_history`.execute(db)
    await expectProblems('quiet_guards', [
      'trigger "quiet_guards_guard_history" fires only in replica sessions; alter table "public"."quiet_guards" enable trigger "quiet_guards_guard_history"',
      'trigger "quiet_guards_guard_delete" is disabled; alter table "public"."quiet_guards" enable trigger "quiet_guards_guard_delete"',
    ])
    await dropTable(db, definition, { discardHistory: true })
  })

  test('a trigger that is missing, and one replaced by another that does not guard', async () => {
    const definition = await brokenTable('lost_guards')
    const { db } = database()
    await sql`drop trigger lost_guards_guard_truncate on lost_guards`.execute(db)
    await sql`drop trigger lost_guards_check_inserted_system on lost_guards`.execute(db)
    await sql`create trigger lost_guards_check_inserted_system after insert on lost_guards for each row execute function bitemporal.check_inserted_system('system')`.execute(db)
    await expectProblems('lost_guards', [
      'trigger "lost_guards_check_inserted_system" does not fire before insert for each row calling bitemporal.check_inserted_system: upgradeTable drops it and puts it back right; run upgradeTable(db, definition) in a migration (docs/schema.md)',
      'trigger "lost_guards_guard_truncate" is missing (before truncate, bitemporal.guard_history): upgradeTable puts every trigger back; run upgradeTable(db, definition) in a migration (docs/schema.md)',
    ])
    await dropTable(db, definition, { discardHistory: true })
  })

  test('a table made by an earlier version of the library, until upgradeTable brings it up to date', async () => {
    const definition = await brokenTable('earlier_objects')
    const { db } = database()
    await sql.raw(earlierObjectsSql(definition)).execute(db)
    const upgrade = 'run upgradeTable(db, definition) in a migration (docs/schema.md)'
    await expectProblems('earlier_objects', [
      `function "public"."earlier_objects_changed_after"(integer, timestamp, daterange, bigint, tid[]) is missing (a table made by an earlier version of the library has one without tid[]): every write to "public"."earlier_objects" fails; ${upgrade}`,
      `trigger "earlier_objects_check_inserted_system" is from an earlier version of the library (its condition calls bitemporal.system_time(), planned on every write); ${upgrade}`,
      `trigger "earlier_objects_guard_history" is from an earlier version of the library (its condition calls bitemporal.system_time(), planned on every write); ${upgrade}`,
    ])

    // The function of the last version before decision 77: the arguments of today's, without the isolation check.
    await sql.raw(`
      create function earlier_objects_changed_after(integer, timestamp, daterange, bigint, tid[]) returns boolean
        language plpgsql as 'begin return false; end';`).execute(db)
    await expectProblems('earlier_objects', [
      `function "public"."earlier_objects_changed_after"(integer, timestamp, daterange, bigint, tid[]) is from an earlier version of the library: a write in a REPEATABLE READ or SERIALIZABLE transaction can record history out of order; ${upgrade}`,
      /trigger "earlier_objects_check_inserted_system" is from an earlier version/,
      /trigger "earlier_objects_guard_history" is from an earlier version/,
    ])

    await upgradeTable(db, definition)
    const run = await check()
    expect(run.stdout).toMatch(/^earlier_objects: ok \(\d+ rows\)$/m)
    expect(run.code).toBe(0)
    await dropTable(db, definition, { discardHistory: true })
  })

  test('dropped indexes', async () => {
    const definition = await brokenTable('no_index')
    const { db } = database()
    await sql`drop index no_index_current`.execute(db)
    await sql`drop index no_index_retracted`.execute(db)
    await expectProblems('no_index', [
      'index "no_index_current" is missing: reads of "public"."no_index" scan the table; recreate it with the DDL of createTableSql(definition)',
      'index "no_index_retracted" is missing: reads of "public"."no_index" scan the table; recreate it with the DDL of createTableSql(definition)',
    ])
    await dropTable(db, definition, { discardHistory: true })
  })

  test('an empty effective range inserted while the CHECK was dropped, the CHECK re-added NOT VALID', async () => {
    const definition = await brokenTable('empty_effective')
    const { db } = database()
    await sql`alter table empty_effective drop constraint empty_effective_effective_valid`.execute(db)
    await sql`insert into empty_effective (id, label, effective) values (7, 'empty', 'empty')`.execute(db)
    await sql`alter table empty_effective add constraint empty_effective_effective_valid check (not isempty(effective)) not valid`.execute(db)
    await expectProblems('empty_effective', [
      'check constraint "empty_effective_effective_valid" is not validated (added NOT VALID); alter table "public"."empty_effective" validate constraint "empty_effective_effective_valid"',
      '1 row with an empty effective range (invariant 4), e.g. key {"id": 7}',
    ])
    await dropTable(db, definition, { discardHistory: true })
  })

  test('an empty system range and an effective range without a start, written around the dropped CHECKs and guard', async () => {
    const definition = await brokenTable('bad_ranges')
    const { db } = database()
    await sql`alter table bad_ranges drop constraint bad_ranges_system_valid`.execute(db)
    await sql`alter table bad_ranges drop constraint bad_ranges_effective_valid`.execute(db)
    await sql`alter table bad_ranges disable trigger bad_ranges_guard_history`.execute(db)
    await sql`update bad_ranges set system = tsrange(lower(system), lower(system)) where id = 2`.execute(db)
    await sql`insert into bad_ranges (id, label, effective) values (3, 'no start', '(,2023-02-01)')`.execute(db)
    await expectProblems('bad_ranges', [
      'check constraint "bad_ranges_effective_valid" is missing; recreate it with the DDL of createTableSql(definition)',
      'check constraint "bad_ranges_system_valid" is missing; recreate it with the DDL of createTableSql(definition)',
      'trigger "bad_ranges_guard_history" is disabled; alter table "public"."bad_ranges" enable trigger "bad_ranges_guard_history"',
      '1 row with an effective range that is not [finite start, end), e.g. key {"id": 3}',
      '1 row with an empty system range: closed by the transaction that inserted them, or upper before lower (invariant 4), e.g. key {"id": 2}',
    ])
    await dropTable(db, definition, { discardHistory: true })
  })

  test('a system time after the clock, inserted with the insert check disabled', async () => {
    const definition = await brokenTable('future_rows')
    const { db } = database()
    await sql`alter table future_rows disable trigger future_rows_check_inserted_system`.execute(db)
    await sql`insert into future_rows (id, label, effective, system) values (9, 'from the future', '[2023-01-01,)', '[2999-01-01,)')`.execute(db)
    await expectProblems('future_rows', [
      'trigger "future_rows_check_inserted_system" is disabled; alter table "public"."future_rows" enable trigger "future_rows_check_inserted_system"',
      '1 row with a system time after the database clock (written around the library, or the clock went back; writes on their keys will fail), e.g. key {"id": 9}',
    ])
    await dropTable(db, definition, { discardHistory: true })
  })

  test('an audited row closed around the library, without closed_by', async () => {
    const definition = defineTable({ name: 'audited_close', key: { id: 'integer' }, values: { label: 'text' }, audit: true })
    const { db } = database()
    await createTable(db, definition)
    await bitemporal(db, definition).set({ id: 4 }, { from: '2023-01-01' }, { label: 'x' }, { actor: 'ops' })
    await sql`alter table audited_close disable trigger audited_close_guard_history`.execute(db)
    await sql`update audited_close set system = tsrange(lower(system), bitemporal.system_time())`.execute(db)
    await expectProblems('audited_close', [
      'trigger "audited_close_guard_history" is disabled; alter table "public"."audited_close" enable trigger "audited_close_guard_history"',
      '1 row closed without closed_by on an audited table (closed around the library), e.g. key {"id": 4}',
    ])
    await dropTable(db, definition, { discardHistory: true })
  })

  test('a registry row whose table was dropped without dropTable', async () => {
    await brokenTable('dropped_plainly')
    const { db } = database()
    const { rows } = await sql<{ oid: string }>`select 'dropped_plainly'::regclass::oid::text as oid`.execute(db)
    const oid = rows[0]?.oid ?? ''
    await sql`drop table dropped_plainly`.execute(db)
    await expectProblems(`table OID ${oid}`, [
      `the registry names table OID ${oid}, which no longer exists (dropped without dropTable); delete from bitemporal.versioned_table where relation = ${oid}`,
    ])
    await sql`delete from bitemporal.versioned_table where relation = ${oid}::oid`.execute(db)
  })

  test('columns that disagree with the registered definition: added, renamed, retyped and dropped by hand, each with its fix', async () => {
    const { db } = database()
    const upgrade = 'run upgradeTable(db, definition) in a migration'

    await brokenTable('drift_added')
    await sql`alter table drift_added add column currency text`.execute(db)
    await expectProblems('drift_added', [
      `column "currency" (text) is in the table but not in its registered definition (added with ALTER TABLE?): add it to the definition's values and ${upgrade}`,
    ])
    // The fix the line gives: upgradeTable writes the registry row again, and check passes.
    const withCurrency = defineTable({ name: 'drift_added', key: { id: 'integer' }, values: { label: 'text', currency: 'text' } })
    await upgradeTable(db, withCurrency)
    expect((await check()).stdout).toMatch(/^drift_added: ok \(4 rows\)$/m)
    await dropTable(db, withCurrency, { discardHistory: true })

    const renamed = await brokenTable('drift_renamed')
    await sql`alter table drift_renamed rename column label to title`.execute(db)
    await expectProblems('drift_renamed', [
      `column "label" of the registered definition is not in the table, and "title" (text) is not in the definition: renamed with ALTER TABLE? Rename it in the definition and ${upgrade} (alterTable(db, definition, { rename: { label: 'title' } }) renames a column without this drift)`,
    ])
    await sql`alter table drift_renamed rename column title to label`.execute(db)
    await dropTable(db, renamed, { discardHistory: true })

    const retyped = await brokenTable('drift_retyped')
    // The guards' conditions name the column: PostgreSQL changes its type only without them.
    await sql`drop trigger drift_retyped_guard_history on drift_retyped`.execute(db)
    await sql`drop trigger drift_retyped_check_inserted_system on drift_retyped`.execute(db)
    await sql`alter table drift_retyped alter column label type varchar(10)`.execute(db)
    await expectProblems('drift_retyped', [
      `column "label" is character varying(10) in the table but text in its registered definition (changed with ALTER TABLE?): write character varying(10) in the definition and ${upgrade} (alterTable(db, definition) widens a type without this drift)`,
      'trigger "drift_retyped_check_inserted_system" is missing (before insert for each row, bitemporal.check_inserted_system): upgradeTable puts every trigger back; run upgradeTable(db, definition) in a migration (docs/schema.md)',
      'trigger "drift_retyped_guard_history" is missing (before update for each row, bitemporal.guard_history): upgradeTable puts every trigger back; run upgradeTable(db, definition) in a migration (docs/schema.md)',
    ])
    await dropTable(db, retyped, { discardHistory: true })

    const dropped = await brokenTable('lost_column')
    // The guards' WHEN clauses name every column, so only CASCADE drops one (and the guards with it).
    await sql`alter table lost_column drop column label cascade`.execute(db)
    await expectProblems('lost_column', [
      `column "label" (text) of the registered definition is not in the table (dropped with ALTER TABLE?): the values it held are gone; add it back (alter table "public"."lost_column" add column "label" text), then ${upgrade}`,
      'trigger "lost_column_check_inserted_system" is missing (before insert for each row, bitemporal.check_inserted_system): upgradeTable puts every trigger back; run upgradeTable(db, definition) in a migration (docs/schema.md)',
      'trigger "lost_column_guard_history" is missing (before update for each row, bitemporal.guard_history): upgradeTable puts every trigger back; run upgradeTable(db, definition) in a migration (docs/schema.md)',
    ])
    await dropTable(db, dropped, { discardHistory: true })
  })

  test('types agree however the definition spells them (int4, varchar, timestamptz, decimal, arrays)', async () => {
    const { db } = database()
    const spelled = defineTable({
      name: 'spelled_types',
      key: { id: 'int4' },
      values: { code: 'varchar(20) not null', at_time: 'timestamptz(3)', amount: 'decimal(5, 1)', codes: 'varchar(3)[]', flag: 'bool' },
    })
    await createTable(db, spelled)
    const run = await check()
    expect(run.stdout).toMatch(/^spelled_types: ok \(0 rows\)$/m)
    expect(run.code).toBe(0)
    await dropTable(db, spelled)
  })

  test('a table registered before the registry held definitions is read from the catalog, once, and checked like the others', async () => {
    const { db } = database()
    await sql`update bitemporal.versioned_table set definition = null where relation = 'billing.prices'::regclass`.execute(db)
    const run = await check()
    expect(run.stdout).toMatch(/^billing\.prices: ok \(3 rows\)$/m)
    expect(run.code).toBe(0)
    const { rows } = await sql<{ definition: { audit: boolean; effective: string; values: unknown } }>`
      select definition from bitemporal.versioned_table where relation = 'billing.prices'::regclass`.execute(db)
    expect(rows[0]?.definition).toMatchObject({
      name: 'billing.prices',
      audit: true,
      effective: 'timestamp',
      values: [
        { name: 'price', type: 'numeric(10,2) not null' },
        { name: 'tags', type: 'text[]' },
      ],
    })
  })

  test('after the broken tables are gone, the healthy ones pass again', async () => {
    const run = await check()
    expect(run.stdout).toBe('billing.prices: ok (3 rows)\ntax_rates: ok (5 rows)\n2 tables checked, all healthy\n')
    expect(run.code).toBe(0)
  })
})

describe('the data checks of a large table', () => {
  test('read in chunks of pages, they count every bad row whatever page it is on, one progress step per chunk', async () => {
    const definition = defineTable({ name: 'many_pages', key: { id: 'integer' }, values: { label: 'text' } })
    const { db } = database()
    await createTable(db, definition)
    await sql`alter table many_pages drop constraint many_pages_effective_valid`.execute(db)
    await sql`insert into many_pages (id, label, effective) values (0, 'first page', 'empty')`.execute(db)
    await sql`insert into many_pages (id, label, effective) select g, repeat('x', 100), '[2023-01-01,)' from generate_series(1, 3000) g`.execute(db)
    await sql`insert into many_pages (id, label, effective) values (3001, 'last page', 'empty')`.execute(db)
    const { rows } = await sql<{ oid: string }>`select 'many_pages'::regclass::oid::text as oid`.execute(db)
    const size = await tableSize(db, rows[0]?.oid ?? '')
    expect(size.pages).toBeGreaterThan(10)

    let steps = 0
    const progress = {
      advance: () => {
        steps++
      },
      stop: () => undefined,
    }
    const result = await db.transaction().setIsolationLevel('repeatable read').execute((trx) => checkTableData(trx, definition, size.pages, progress, 4))
    expect(result).toEqual({ rows: 3002, problems: ['2 rows with an empty effective range (invariant 4), e.g. key {"id": 0}'] })
    expect(steps).toBe(dataCheckSteps(size.pages, 4))
    expect(steps).toBe(Math.ceil(size.pages / 4) + 1)
    await dropTable(db, definition, { discardHistory: true })
  })

  test('the progress bar is drawn only on a terminal, and only for a table estimated above 100k rows', () => {
    const stream = (isTTY: boolean): { stream: NodeJS.WriteStream; written: () => string } => {
      let text = ''
      const fake = {
        isTTY,
        columns: 100,
        write: (chunk: string) => {
          text += chunk
          return true
        },
        cursorTo: () => true,
        clearLine: () => true,
        moveCursor: () => true,
        on: () => fake,
        removeListener: () => fake,
      }
      return { stream: fake as unknown as NodeJS.WriteStream, written: () => text }
    }
    const draw = (isTTY: boolean, rows: number): string => {
      const target = stream(isTTY)
      const progress = checkProgress(target.stream, 'big_table', rows, 3)
      progress.advance()
      progress.stop()
      return target.written()
    }
    expect(draw(true, PROGRESS_MIN_ROWS + 1)).toContain('checking big_table [')
    expect(draw(false, PROGRESS_MIN_ROWS + 1)).toBe('')
    expect(draw(true, PROGRESS_MIN_ROWS)).toBe('')
  })
})
