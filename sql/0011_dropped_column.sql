-- bitemporal library schema, version 0011: the log of dropped value columns.
--
-- Dropping a value column erases what history recorded in it, so the
-- library never does it as a side effect of a schema change: alterTable
-- drops a column only when told so by name, with an actor and a reason,
-- and records it here in the same transaction as the DROP COLUMN, so an
-- auditor can see that history lost a column, when, who and why
-- (docs/semantics.md §5a). The row names the table as it was then (a later
-- rename or drop of the table does not change it), the column, its type and
-- how many versions held a value in it.
--
-- * Only a role that may ALTER the table (its owner, a member of the
--   owning role, a superuser) can record a drop: record_dropped_column is
--   SECURITY DEFINER so that the table owner needs no privilege on the log,
--   and it checks the calling role itself, as erase() does.
-- * Nobody else writes or reads the log: privileges are revoked from PUBLIC.
-- The function that writes the log is sql/functions/record_dropped_column.sql.

create table bitemporal.dropped_column (
  id bigint generated always as identity primary key,
  -- The table, schema-qualified, as it was named when the column was dropped: 'billing.prices'.
  relation text not null,
  relation_oid oid not null,
  column_name text not null,
  column_type text not null,
  -- Versions (current and closed) whose value in the column was not null.
  versions bigint not null check (versions >= 0),
  actor text not null check (btrim(actor) <> ''),
  reason text not null check (btrim(reason) <> ''),
  -- The role that dropped it: the session's SET ROLE if any, else its login.
  dropped_by text not null,
  login text not null default session_user,
  dropped_at timestamp not null default bitemporal.system_time(),
  dropped_in xid8 not null default pg_current_xact_id()
);
revoke all on bitemporal.dropped_column from public;
