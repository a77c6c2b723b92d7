/** The content of a new `.sql` migration: an empty up part and an empty down part. */
export function sqlMigrationTemplate(fileName: string): string {
  return `-- ${fileName}
--
-- Everything above "-- migrate:down" runs on \`bitemporal migrate up\`, in one
-- transaction with the other pending migrations (do not write BEGIN/COMMIT).
-- Everything below it runs on \`bitemporal migrate down\`.

-- create table billing.invoices (id bigint primary key, total numeric not null);

-- migrate:down

-- drop table billing.invoices;
`
}

/** The content of a new `.ts` migration: `up` and `down` taking the migration's transaction. */
export function tsMigrationTemplate(fileName: string): string {
  return `// ${fileName}
//
// up(db) runs on \`bitemporal migrate up\`, down(db) on \`bitemporal migrate down\`.
// db is the migration's transaction. Kysely<any> on purpose: a migration must
// keep working after the application's database type has moved on.
import type { Kysely } from 'kysely'
// import { createTable, defineTable, dropTable } from 'bitemporal'

// Spell the definition out here rather than import the application's: this
// migration must create the same table however that definition changes later.
// const taxRates = defineTable({ ... })

export async function up(db: Kysely<any>): Promise<void> {
  // await createTable(db, taxRates)
}

export async function down(db: Kysely<any>): Promise<void> {
  // Refuses while the table holds rows (its history); \`bitemporal migrate down
  // --discard-history\` lets it drop them.
  // await dropTable(db, taxRates)
}
`
}

/**
 * The content of a new `.ts` migration that changes a bitemporal table with
 * `alterTable`: both definitions spelled out, the change in `up`, and a
 * `down` that says why it usually does nothing (going back would drop what
 * history recorded in the new columns).
 */
export function tableChangeMigrationTemplate(fileName: string): string {
  return `// ${fileName}
//
// A change to a bitemporal table (docs/recipes/changing-a-bitemporal-table.md).
// alterTable compares the table in the database with \`after\`, changes its
// columns and makes the guards, <table>_changed_after and the registry row
// again, in this migration's transaction. Adding, widening and renaming keep
// every recorded version; dropping, narrowing and key changes are refused.
// Preview the SQL with alterTableSql(db, after, options).
import type { Kysely } from 'kysely'
import { alterTable, type AlterTableOptions, defineTable } from 'bitemporal'

// Spelled out here, not imported from the application: this migration must
// make the same change however the application's definition moves on.
const after = defineTable({
  name: 'prices',
  key: { sku: 'text' },
  values: { amount: 'numeric(12,2) not null', currency: "text not null default 'EUR'" },
})

const options: AlterTableOptions = {
  // A column missing from \`after\` is a drop unless it is renamed here.
  rename: { price: 'amount' },
  // A default added to a table with history: 'every-version' (every recorded
  // version reads it) or 'current-versions' (a recorded correction of the
  // current versions; history keeps null; needs a Kysely instance, and an
  // actor on audited tables).
  defaults: { currency: 'every-version' },
}

export async function up(db: Kysely<any>): Promise<void> {
  await alterTable(db, after, options)
}

export async function down(): Promise<void> {
  // Going back would drop the added column and what history recorded in it:
  // alterTable refuses that unless the drop is named, with an actor and a
  // reason ({ drop: ['currency'], actor, reason }), and logs it. Renames and
  // widenings could be undone with alterTable too; most table changes have
  // no down.
}
`
}
