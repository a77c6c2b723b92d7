-- createTable(db, definition) with entity: true: the entity table, before the versions table
-- audited table "contracts" with an entity table and a reference to "customers": key contract_id integer, values customer_id integer + fee numeric, timestamp valid time
-- entityTableSql(definition)
-- regenerate: npm run golden
create table "contracts_entity" (
  "contract_id" integer not null,
  constraint "contracts_entity_pkey" primary key ("contract_id")
);
