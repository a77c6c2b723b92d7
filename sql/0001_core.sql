-- bitemporal library schema, version 0001.
--
-- Installed by `install(db)` into the schema "bitemporal" (created by the
-- installer), once per database; later versions add files. Every versions
-- table created by `createTable` calls the trigger functions named below,
-- passing the name of its system-time column as the trigger argument.
--
-- Functions are not defined here: each has its one file in sql/functions/,
-- which install applies (before the versions that a run applies, and again
-- whenever its text changes). Until 90eeb75 this file held copies of them;
-- removing those was the one edit of an applied version, which install
-- accepts by the earlier checksum (src/install/earlier-library-versions.ts).

-- The exclusion constraint needs `=` on scalar key columns inside GiST.
-- btree_gist is a trusted extension (PostgreSQL 13+): a role with CREATE on
-- the database may create it. If it is already installed in another schema,
-- this does nothing.
create extension if not exists btree_gist with schema bitemporal;

-- bitemporal.system_time: its one definition is sql/functions/system_time.sql

-- bitemporal.check_inserted_system: its one definition is sql/functions/check_inserted_system.sql

-- bitemporal.guard_history: its one definition is sql/functions/guard_history.sql

-- Every table created by createTable, so that tools (`bitemporal check`) can
-- find them without being told.
create table bitemporal.versioned_table (
  relation regclass primary key,
  key_columns text[] not null,
  value_columns text[] not null,
  effective_column text not null,
  system_column text not null,
  created_at timestamp not null default bitemporal.system_time()
);
