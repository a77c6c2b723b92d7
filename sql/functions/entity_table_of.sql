-- The entity table `<name>_entity` that a versions table's foreign key
-- references (createTable with `entity: true`), or null.
create or replace function bitemporal.entity_table_of(versions regclass) returns regclass
language sql stable
as $$
  select c.confrelid::regclass
  from pg_constraint c
  join pg_class v on v.oid = c.conrelid
  join pg_class e on e.oid = c.confrelid
  where c.conrelid = versions and c.contype = 'f'
    and e.relname = v.relname || '_entity' and e.relnamespace = v.relnamespace
$$;
