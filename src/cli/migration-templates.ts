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
