-- bitemporal library schema, version 0019: the log of dropped value columns.
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
-- (A library function; it moves to sql/functions/ with the others.)

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

create function bitemporal.record_dropped_column(relation regclass, column_name text, versions bigint, actor text, reason text)
returns bigint
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  -- Inside a SECURITY DEFINER function current_user is the function's owner.
  caller constant text := coalesce(nullif(current_setting('role'), 'none'), session_user);
  owner_role oid;
  type_name text;
  new_id bigint;
begin
  select c.relowner into owner_role from pg_class c where c.oid = relation;
  if not pg_has_role(caller, owner_role, 'USAGE') then
    raise exception using errcode = '42501',
      message = format('bitemporal: only the owner of %s (%s) may drop a column from it; %s may not', relation, owner_role::regrole, caller);
  end if;
  if actor is null or btrim(actor) = '' or reason is null or btrim(reason) = '' then
    raise exception using errcode = '22023', message = 'bitemporal: dropping a column needs an actor (who) and a reason (why)';
  end if;
  select format_type(a.atttypid, a.atttypmod) into type_name
  from pg_attribute a where a.attrelid = relation and a.attname = column_name and a.attnum > 0 and not a.attisdropped;
  if type_name is null then
    raise exception using errcode = '42703', message = format('bitemporal: %s has no column %I to drop', relation, column_name);
  end if;
  insert into bitemporal.dropped_column (relation, relation_oid, column_name, column_type, versions, actor, reason, dropped_by)
  values (relation::text, relation, column_name, type_name, versions, actor, reason, caller)
  returning id into new_id;
  return new_id;
end
$$;
