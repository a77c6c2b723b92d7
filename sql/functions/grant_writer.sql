-- Lets `grantee` write every registered table: what a reader may, plus
-- INSERT and DELETE, UPDATE of the system column (and the audit close
-- columns), and INSERT on entity tables (see sql/0003_privileges.sql).
create or replace function bitemporal.grant_writer(grantee regrole) returns void
language plpgsql
as $$
declare
  versioned record;
  entity record;
  closing text;
begin
  perform bitemporal.grant_reader(grantee);
  for versioned in select relation, system_column from bitemporal.versioned_table loop
    closing := quote_ident(versioned.system_column);
    -- The audit columns a close fills in (createTable's names for them).
    if exists (select 1 from pg_attribute
               where attrelid = versioned.relation and attname = 'closed_by' and not attisdropped) then
      closing := closing || ', closed_by, closed_reason';
    end if;
    execute format('grant select, insert, delete on %s to %s', versioned.relation, grantee);
    execute format('grant update (%s) on %s to %s', closing, versioned.relation, grantee);
    -- The entity table of an `entity: true` table: writes insert its rows.
    for entity in select bitemporal.entity_table_of(versioned.relation) as relation loop
      continue when entity.relation is null;
      execute format('grant select, insert on %s to %s', entity.relation, grantee);
    end loop;
  end loop;
end
$$;
