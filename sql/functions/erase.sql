-- A legal erasure (see sql/0005_erasure.sql for the whole design): redacts
-- the chosen value columns (default: all) in every version of one key, and
-- records the act in bitemporal.erasure. SECURITY DEFINER, so it runs as the
-- owner of the tables; EXECUTE is revoked from PUBLIC (0005) and granted to a
-- compliance role by bitemporal.grant_eraser.
create or replace function bitemporal.erase(relation regclass, key jsonb, reason text, actor text, columns text[] default null)
returns table (erasure_id bigint, erased_versions integer, erased_columns text[])
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  registered bitemporal.versioned_table;
  erased text[];
  key_match text;
  assignments text;
  not_erasable text;
  stored_key jsonb;
  found_versions integer;
  new_id bigint;
begin
  select * into registered from bitemporal.versioned_table v where v.relation = erase.relation;
  if not found then
    raise exception using errcode = '22023', message = format('bitemporal: erase: %s is not a bitemporal table', relation);
  end if;
  if reason is null or btrim(reason) = '' then
    raise exception using errcode = '22023', message = 'bitemporal: erase: a reason is required (the legal ground, a ticket number)';
  end if;
  if actor is null or btrim(actor) = '' then
    raise exception using errcode = '22023', message = 'bitemporal: erase: an actor is required (who asked for the erasure)';
  end if;
  if current_setting('transaction_isolation') <> 'read committed' then
    raise exception using errcode = '22023',
      message = 'bitemporal: erase: run it in a READ COMMITTED transaction; an older snapshot could miss versions to redact';
  end if;
  if key is null or jsonb_typeof(key) <> 'object'
     or (select array_agg(k order by k) from jsonb_object_keys(key) as k)
        is distinct from (select array_agg(k order by k) from unnest(registered.key_columns) as k)
     or exists (select 1 from jsonb_each(key) as e where e.value = 'null'::jsonb) then
    raise exception using errcode = '22023',
      message = format('bitemporal: erase: the key must be an object of exactly the key columns %s, none null', array_to_string(registered.key_columns, ', '));
  end if;
  erased := coalesce(columns, registered.value_columns);
  if cardinality(erased) = 0 or array_position(erased, null) is not null
     or not erased <@ registered.value_columns
     or (select count(distinct c) from unnest(erased) as c) <> cardinality(erased) then
    raise exception using errcode = '22023',
      message = format('bitemporal: erase: columns must be distinct value columns of %s (%s); key columns name the entity and cannot be erased',
                       relation, array_to_string(registered.value_columns, ', '));
  end if;
  select string_agg(quote_ident(a.attname), ', ') into not_erasable
  from pg_attribute a
  join pg_type t on t.oid = a.atttypid
  left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
  where a.attrelid = relation and a.attname = any (erased) and a.attnotnull and d.oid is null and t.typcategory <> 'S';
  if not_erasable is not null then
    raise exception using errcode = '22023',
      message = format('bitemporal: erase: %s of %s %s not null, without a default and not text: nothing can stand in for the value; leave it out of columns',
                       not_erasable, relation, case when not_erasable like '%,%' then 'are' else 'is' end);
  end if;
  -- null where the column allows it, else its default, else (a string type) the marker.
  select string_agg(format('%I = %s', a.attname,
           case when not a.attnotnull then 'null' when d.oid is not null then 'default' else quote_literal('[erased]') end), ', ')
    into assignments
  from pg_attribute a
  left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
  where a.attrelid = relation and a.attname = any (erased);
  key_match := (select string_agg(format('t.%1$I = k.%1$I', c), ' and ') from unnest(registered.key_columns) as c);

  -- Writes to the table wait for the erasure to commit; reads go on.
  execute format('lock table %s in exclusive mode', relation);
  execute format('select to_jsonb(k) from jsonb_populate_record(null::%s, $1) as k', relation) into stored_key using key;
  stored_key := (select jsonb_object_agg(c, stored_key -> c) from unnest(registered.key_columns) as c);
  execute format('select count(*) from %s as t, jsonb_populate_record(null::%s, $1) as k where %s', relation, relation, key_match)
    into found_versions using key;
  if found_versions = 0 then
    raise exception using errcode = 'P0002', message = format('bitemporal: erase: %s has no versions of the key %s', relation, key);
  end if;
  insert into bitemporal.erasure (relation, key, columns, reason, actor, versions)
  values (relation, stored_key, erased, reason, actor, found_versions)
  returning id into new_id;
  perform set_config('bitemporal.erasing', new_id::text, true);
  execute format('update %s as t set %s from jsonb_populate_record(null::%s, $1) as k where %s', relation, assignments, relation, key_match)
    using key;
  perform set_config('bitemporal.erasing', '', true);
  return query select new_id, found_versions, erased;
end
$$;
