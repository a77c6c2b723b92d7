-- bitemporal library schema, version 0003: least privilege.
--
-- Two kinds of roles use bitemporal tables. The owner role creates them (it
-- runs install and the migrations) and owns them; only an owner can drop a
-- constraint, disable or drop a trigger, or grant. Application roles get
-- exactly what the library's statements need, through the functions below,
-- which the owner runs (again after creating tables: they are idempotent).
--
-- What a writer may do, and why that is enough:
-- * SELECT and INSERT: reads, and new versions (the insert trigger still
--   sets `system`).
-- * UPDATE of the system column only (and closed_by, closed_reason on
--   audited tables): closing rows. A column privilege, so an UPDATE of any
--   other column is refused before the history guard even runs, and so is
--   any column added later, which no grant names.
-- * DELETE: a second write to one key in a transaction replaces the first
--   write's own, still uncommitted rows. The history guard refuses every
--   other DELETE, and a writer can neither disable nor drop the guard (only
--   the owner can), nor skip triggers (session_replication_role is for
--   superusers).
-- * Never TRUNCATE, TRIGGER or REFERENCES.

-- bitemporal.entity_table_of: its one definition is sql/functions/entity_table_of.sql

-- bitemporal.grant_reader: its one definition is sql/functions/grant_reader.sql

-- bitemporal.grant_writer: its one definition is sql/functions/grant_writer.sql

-- Only the roles the owner chooses may hand out privileges.
revoke execute on function bitemporal.grant_reader(regrole) from public;
revoke execute on function bitemporal.grant_writer(regrole) from public;
