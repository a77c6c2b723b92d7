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

-- The entity table `<name>_entity` that a versions table's foreign key
-- references (createTable with `entity: true`), or null.
create function bitemporal.entity_table_of(versions regclass) returns regclass
language sql stable
as $$
  select c.confrelid::regclass
  from pg_constraint c
  join pg_class v on v.oid = c.conrelid
  join pg_class e on e.oid = c.confrelid
  where c.conrelid = versions and c.contype = 'f'
    and e.relname = v.relname || '_entity' and e.relnamespace = v.relnamespace
$$;

create function bitemporal.grant_reader(grantee regrole) returns void
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

create function bitemporal.grant_writer(grantee regrole) returns void
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

-- Only the roles the owner chooses may hand out privileges.
revoke execute on function bitemporal.grant_reader(regrole) from public;
revoke execute on function bitemporal.grant_writer(regrole) from public;
