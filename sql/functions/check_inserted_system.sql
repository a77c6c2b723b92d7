-- BEFORE INSERT: the system range is the database's to set. The column's
-- default supplies it; anything else a caller wrote is rejected. Tables call
-- it from a trigger whose WHEN clause already compares the value, so the
-- function runs only for a wrong one and a correct insert costs no PL/pgSQL.
create or replace function bitemporal.check_inserted_system() returns trigger
language plpgsql
as $$
declare
  system_column constant text := TG_ARGV[0];
  inserted tsrange := (to_jsonb(NEW) ->> system_column)::tsrange;
begin
  if inserted is distinct from tsrange(bitemporal.system_time(), null, '[)') then
    raise exception using
      errcode = 'BT001',
      message = format('bitemporal: column %I of %I.%I is set by the database; leave it out of the INSERT (got %s)',
                       system_column, TG_TABLE_SCHEMA, TG_TABLE_NAME, coalesce(inserted::text, 'null')),
      hint = 'Every inserted row gets system = [transaction time, unbounded).';
  end if;
  return NEW;
end
$$;
