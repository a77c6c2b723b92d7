-- createTable(db, definition) with entity: true: the entity table, before the versions table
-- plain table "tax_rates": key state_id integer + tax_type text, value rate numeric, date valid time
-- entityTableSql(definition)
-- regenerate: npm run golden
create table "tax_rates_entity" (
  "id" bigint generated always as identity unique,
  "state_id" integer not null,
  "tax_type" text not null,
  constraint "tax_rates_entity_pkey" primary key ("state_id", "tax_type")
);
