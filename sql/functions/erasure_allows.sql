-- Called by the history guard on an UPDATE while bitemporal.erasing is set:
-- whether this row change is the redaction of a legal erasure in progress.
create or replace function bitemporal.erasure_allows(relation oid, old_row jsonb, new_row jsonb) returns boolean
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  setting constant text := current_setting('bitemporal.erasing', true);
  erasing bitemporal.erasure;
begin
  -- Only the owner (inside erase(), SECURITY DEFINER) may erase; checked
  -- first, so an application role never even reads the erasure table.
  if (select c.relowner from pg_class c where c.oid = 'bitemporal.erasure'::regclass)
     is distinct from (select r.oid from pg_roles r where r.rolname = current_user) then
    return false;
  end if;
  if setting !~ '^[0-9]{1,18}$' then
    return false;
  end if;
  select * into erasing from bitemporal.erasure e
  where e.id = setting::bigint and e.relation = erasure_allows.relation and e.erased_in = pg_current_xact_id();
  if not found then
    return false;
  end if;
  -- The row is the erased key's, and only the erased columns change.
  return (old_row @> erasing.key) and (old_row - erasing.columns) = (new_row - erasing.columns);
end
$$;
