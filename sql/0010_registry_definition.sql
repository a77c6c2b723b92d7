-- bitemporal library schema, version 0010: the registry holds whole definitions.
--
-- `definition` is the table's definition as `defineTable` takes it, in a
-- versioned JSON form (`{"format": 1, "name": ..., "key": [...], ...}`, see
-- src/schema/registered-definition.ts): key and value columns with their
-- types and defaults, in order, audit, entity, references, the granularity of
-- valid time and the names of the time columns. createTable writes it, and so
-- do upgradeTable and alterTable, so that tools (the CLI, `bitemporal check`,
-- alterTable itself) read what the table is meant to be instead of guessing it
-- from its columns.
--
-- Rows of tables created before this version are null here; the library reads
-- their definition from the catalog the first time it needs it and stores it
-- (readRegisteredDefinition). Readers may read the column: grant_reader grants
-- select on the whole table.
alter table bitemporal.versioned_table
  add column definition jsonb
  constraint versioned_table_definition_format check (definition is null or (jsonb_typeof(definition) = 'object' and definition ? 'format'));
