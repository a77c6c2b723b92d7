-- Lets `grantee` read every registered table and its entity table (see
-- sql/0003_privileges.sql for what each role may do). Idempotent: the owner
-- runs it again after creating tables.
create or replace function bitemporal.grant_reader(grantee regrole) returns void
language plpgsql
as $$
declare
  versioned regclass;
begin
  execute format('grant usage on schema bitemporal to %s', grantee);
  execute format('grant select on bitemporal.versioned_table to %s', grantee);
  for versioned in select relation from bitemporal.versioned_table loop
    execute format('grant select on %s to %s', versioned, grantee);
    if bitemporal.entity_table_of(versioned) is not null then
      execute format('grant select on %s to %s', bitemporal.entity_table_of(versioned), grantee);
    end if;
  end loop;
end
$$;
