-- bitemporal library schema, version 0005: erasure.
--
-- Invariant 2 says history is never overwritten. A legal erasure request
-- (GDPR article 17 and the like) is the one exception, and it must be an
-- explicit, audited act of a privileged role, never something a write or a
-- stray UPDATE can do:
--
-- * bitemporal.erase(relation, key, reason, actor, columns) redacts the
--   chosen value columns (default: all) in every version of one key, current
--   and superseded alike, and leaves everything else as it was: the key, the
--   effective and system ranges, the audit columns. The history keeps its
--   shape; only the erased values are gone. A nullable column becomes null;
--   a not-null column its default, or the marker '[erased]' if it is a string
--   type; any other not-null column cannot be erased (an error says so).
-- * Every erasure leaves a row in bitemporal.erasure: which table and key,
--   which columns, why, who (the actor named, and the calling role and login),
--   when (the transaction's system time) and how many versions.
-- * erase() is SECURITY DEFINER: it runs as the role that installed the
--   library (the owner of the tables), so the caller needs no UPDATE right on
--   any table. EXECUTE is revoked from PUBLIC; the owner grants it to a
--   compliance role with bitemporal.grant_eraser(role). The application role
--   (grant_writer) has neither.
-- * The history guard lets the erasure's UPDATE through only when
--   bitemporal.erasure_allows() says so: the current user is the owner of
--   bitemporal.erasure (true inside erase(), false for any application
--   role), an erasure record of this very transaction names the table and
--   the setting bitemporal.erasing holds its id, the row belongs to the
--   erased key, and nothing but the erased columns changes. The setting is a
--   hint anyone can set; the record and the owner's identity are what an
--   application role cannot forge.
-- * While it runs, erase() holds an EXCLUSIVE lock on the table: reads go
--   on, writes wait, so no version of the key can be written concurrently
--   and escape the redaction. It refuses to run in REPEATABLE READ or
--   SERIALIZABLE, whose snapshot could predate versions it must redact.

create table bitemporal.erasure (
  id bigint generated always as identity primary key,
  relation regclass not null,
  -- The key as the table stores it (column -> value), so it is comparable with to_jsonb(row).
  key jsonb not null,
  columns text[] not null,
  reason text not null check (btrim(reason) <> ''),
  actor text not null check (btrim(actor) <> ''),
  -- The role that called erase(): the session's SET ROLE if any, else its login
  -- (inside erase(), current_user is the owner, so it cannot say who asked).
  erased_by text not null default coalesce(nullif(current_setting('role'), 'none'), session_user),
  login text not null default session_user,
  erased_at timestamp not null default bitemporal.system_time(),
  versions integer not null,
  -- Which transaction erased: the guard accepts an erasure only in it.
  erased_in xid8 not null default pg_current_xact_id()
);
revoke all on bitemporal.erasure from public;

-- Called by the history guard on an UPDATE while bitemporal.erasing is set:
-- whether this row change is the redaction of a legal erasure in progress.
create function bitemporal.erasure_allows(relation oid, old_row jsonb, new_row jsonb) returns boolean
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

-- The history guard of 0001, with the erasure's way through first; the rest is
-- unchanged (0001 is never edited: this replaces the function, and every
-- table's triggers call the new body at once).
create or replace function bitemporal.guard_history() returns trigger
language plpgsql
as $$
declare
  system_column constant text := TG_ARGV[0];
  table_name constant text := format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME);
  transaction_time constant timestamp := bitemporal.system_time();
  old_system tsrange;
  new_system tsrange;
  unchanged jsonb;
  rest_unchanged boolean;
  position integer;
begin
  -- The one way past the guard for an UPDATE: a legal erasure in progress.
  -- bitemporal.erase() sets the transaction-local setting bitemporal.erasing
  -- to its erasure record's id. Anybody can set a setting, so it is only a
  -- hint: the check that counts is bitemporal.erasure_allows(), which needs
  -- the owner's identity (inside erase(), a SECURITY DEFINER function) and an
  -- erasure record of this transaction for this table.
  if TG_OP = 'UPDATE' and coalesce(current_setting('bitemporal.erasing', true), '') <> ''
     and bitemporal.erasure_allows(TG_RELID, to_jsonb(OLD), to_jsonb(NEW)) then
    return NEW;
  end if;
  if TG_OP = 'DELETE' then
    old_system := (to_jsonb(OLD) ->> system_column)::tsrange;
    if lower(old_system) = transaction_time and upper_inf(old_system)
       and pg_xact_status(((pg_current_xact_id()::text::bigint >> 32) << 32 | OLD.xmin::text::bigint)::text::xid8) = 'in progress' then
      return OLD;
    end if;
  end if;
  if TG_OP <> 'UPDATE' then
    raise exception using
      errcode = 'BT001',
      message = format('bitemporal: %s on %s is not allowed: history is never deleted', TG_OP, table_name),
      hint = 'End an entity''s validity with a write (delete for a portion), which closes rows in system time.';
  end if;

  -- *= compares the stored images, so even 1.0 -> 1.00 counts as a change;
  -- comparing whole rows also covers columns added to the table later.
  if system_column = 'system' and TG_NARGS = 1 then
    -- The usual case, without the detour through jsonb: compare the rows
    -- with NEW's system set aside for a moment.
    old_system := OLD.system;
    new_system := NEW.system;
    NEW.system := old_system;
    rest_unchanged := NEW *= OLD;
    NEW.system := new_system;
  else
    old_system := (to_jsonb(OLD) ->> system_column)::tsrange;
    new_system := (to_jsonb(NEW) ->> system_column)::tsrange;
    -- What must not change: everything but system and the columns a close fills in.
    unchanged := jsonb_build_object(system_column, old_system);
    for position in 1 .. TG_NARGS - 1 loop
      if (to_jsonb(OLD) -> TG_ARGV[position]) <> 'null'::jsonb
         and (to_jsonb(OLD) -> TG_ARGV[position]) is distinct from (to_jsonb(NEW) -> TG_ARGV[position]) then
        raise exception using
          errcode = 'BT001',
          message = format('bitemporal: UPDATE of %s would change %I, which was already recorded', table_name, TG_ARGV[position]);
      end if;
      unchanged := unchanged || jsonb_build_object(TG_ARGV[position], to_jsonb(OLD) -> TG_ARGV[position]);
    end loop;
    rest_unchanged := jsonb_populate_record(NEW, unchanged) *= OLD;
  end if;
  if not rest_unchanged then
    raise exception using
      errcode = 'BT001',
      message = format('bitemporal: UPDATE of %s may change only %I: versions are immutable', table_name, system_column),
      hint = 'Write a new version instead of editing one (the repository''s set, update or correct).';
  end if;
  if not upper_inf(old_system) then
    raise exception using
      errcode = 'BT001',
      message = format('bitemporal: UPDATE of %s would change a closed row (system %s): a row is closed once, for good',
                       table_name, old_system);
  end if;
  if isempty(new_system) or lower(new_system) is distinct from lower(old_system)
     or not lower_inc(new_system) or upper_inc(new_system) or upper_inf(new_system) then
    raise exception using
      errcode = 'BT001',
      message = format('bitemporal: UPDATE of %s may only close %I: from %s to [lower, transaction time), got %s',
                       table_name, system_column, old_system, new_system),
      hint = format('Set %I = tsrange(lower(%I), bitemporal.system_time()).', system_column, system_column);
  end if;
  if upper(new_system) <> transaction_time then
    raise exception using
      errcode = 'BT001',
      message = format('bitemporal: UPDATE of %s must close rows at the transaction''s system time %s, not at %s',
                       table_name, transaction_time, upper(new_system)),
      hint = format('Set %I = tsrange(lower(%I), bitemporal.system_time()).', system_column, system_column);
  end if;
  return NEW;
end
$$;
create function bitemporal.erase(relation regclass, key jsonb, reason text, actor text, columns text[] default null)
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

-- Erasure is for the roles the owner chooses: a compliance role, not the application.
revoke execute on function bitemporal.erase(regclass, jsonb, text, text, text[]) from public;

create function bitemporal.grant_eraser(grantee regrole) returns void
language plpgsql
as $$
begin
  execute format('grant usage on schema bitemporal to %s', grantee);
  execute format('grant execute on function bitemporal.erase(regclass, jsonb, text, text, text[]) to %s', grantee);
  execute format('grant select on bitemporal.erasure to %s', grantee);
end
$$;
revoke execute on function bitemporal.grant_eraser(regrole) from public;
