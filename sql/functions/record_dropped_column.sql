-- Writes one row of bitemporal.dropped_column (sql/0011_dropped_column.sql):
-- the audited drop of a value column that alterTable makes when told so by
-- name (docs/semantics.md §5a). SECURITY DEFINER so that the table's owner
-- needs no privilege on the log; it checks the calling role itself.
create or replace function bitemporal.record_dropped_column(relation regclass, column_name text, versions bigint, actor text, reason text)
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
