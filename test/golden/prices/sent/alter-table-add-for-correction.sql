-- alterTable(db, prices with currency text default 'USD', { defaults: { currency: 'current-versions' } }) over two current versions: every statement sent, in order
-- alterTable (src/schema/alter-table/alter-table.ts), then correctCurrentVersions (src/schema/alter-table/correct-current-versions.ts)
-- regenerate: npm run golden
begin;


    select a.attname as name, pg_catalog.format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
      pg_catalog.pg_get_expr(d.adbin, d.adrelid) as default
    from pg_catalog.pg_attribute a left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where a.attrelid = pg_catalog.to_regclass($1) and a.attnum > 0 and not a.attisdropped
    order by a.attnum;


      select a.attname as name
      from pg_catalog.pg_constraint c cross join unnest(c.conkey) with ordinality k(n, o)
        join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n
      where c.conrelid = $1::regclass and c.conname = $2 order by k.o;


      select exists (select from "prices") as has_rows,
        pg_catalog.to_regclass($1) is not null as entity,
        (select count(*)::int from pg_catalog.pg_trigger t
          where t.tgrelid = $2::regclass and t.tgname ~ ('^' || $3 || '_reference_[0-9]+$')) as reference_count;

create or replace temporary view bitemporal_definition_types as select null::text as "sku", null::numeric(10,2) as "price", null::integer as "qty", null::text as "legacy_code", null::text as "currency";


    select a.attname as name, pg_catalog.format_type(a.atttypid, a.atttypmod) as type from pg_catalog.pg_attribute a
    where a.attrelid = $1::regclass and a.attnum > 0 order by a.attnum;

drop view pg_temp.bitemporal_definition_types;

lock table "prices" in access exclusive mode;


    select a.attname as name, pg_catalog.format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
      pg_catalog.pg_get_expr(d.adbin, d.adrelid) as default
    from pg_catalog.pg_attribute a left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where a.attrelid = pg_catalog.to_regclass($1) and a.attnum > 0 and not a.attisdropped
    order by a.attnum;


      select a.attname as name
      from pg_catalog.pg_constraint c cross join unnest(c.conkey) with ordinality k(n, o)
        join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n
      where c.conrelid = $1::regclass and c.conname = $2 order by k.o;


      select exists (select from "prices") as has_rows,
        pg_catalog.to_regclass($1) is not null as entity,
        (select count(*)::int from pg_catalog.pg_trigger t
          where t.tgrelid = $2::regclass and t.tgname ~ ('^' || $3 || '_reference_[0-9]+$')) as reference_count;

create or replace temporary view bitemporal_definition_types as select null::text as "sku", null::numeric(10,2) as "price", null::integer as "qty", null::text as "legacy_code", null::text as "currency";


    select a.attname as name, pg_catalog.format_type(a.atttypid, a.atttypmod) as type from pg_catalog.pg_attribute a
    where a.attrelid = $1::regclass and a.attnum > 0 order by a.attnum;

drop view pg_temp.bitemporal_definition_types;

drop trigger if exists "prices_check_inserted_system" on "prices";

drop trigger if exists "prices_guard_history" on "prices";

drop trigger if exists "prices_guard_delete" on "prices";

drop trigger if exists "prices_guard_truncate" on "prices";

drop function if exists "prices_changed_after"(text, timestamp, daterange, bigint);

alter table "prices" add column "currency" text;

alter table "prices" alter column "currency" set default 'USD';

create trigger "prices_check_inserted_system" before insert on "prices"
  for each row when (NEW."system" is distinct from tsrange((now() at time zone 'UTC'), null, '[)')
    or not row(NEW."sku", NEW."price", NEW."qty", NEW."legacy_code", NEW."effective", NEW."system", NEW."currency") *= NEW)
  execute function bitemporal.check_inserted_system('system');

create trigger "prices_guard_history" before update on "prices"
  for each row when (not (upper_inf(OLD."system") and lower(OLD."system") < (now() at time zone 'UTC')
    and NEW."system" = tsrange(lower(OLD."system"), (now() at time zone 'UTC'), '[)')
    and row(OLD."sku", OLD."price", OLD."qty", OLD."legacy_code", OLD."effective", NEW."system", OLD."currency") *= NEW
    and row(NEW."sku", NEW."price", NEW."qty", NEW."legacy_code", NEW."effective", OLD."system", NEW."currency") *= OLD))
  execute function bitemporal.guard_history('system');

create trigger "prices_guard_delete" before delete on "prices"
  for each row execute function bitemporal.guard_history('system');

create trigger "prices_guard_truncate" before truncate on "prices"
  for each statement execute function bitemporal.guard_history('system');

create or replace function "prices_changed_after"(text, timestamp, daterange, bigint, tid[]) returns boolean
language plpgsql volatile
as $$
begin
  if current_setting('transaction_isolation') <> 'read committed' then
    perform from "prices" as h where h."sku" = $1 and upper_inf(h."system") for share of h;
  end if;
  return exists (select 1 from "prices" as h
      where h."sku" = $1 and h."system" && tsrange($2, null, '()')
        and (lower(h."system") > $2 or (not upper_inf(h."system") and upper(h."system") > $2)))
    or (select count(*) <> $4 or coalesce(bool_or(h.ctid <> all ($5)), false) from "prices" as h
      where h."sku" = $1 and upper_inf(h."system") and h."effective" && $3);
end
$$;

insert into bitemporal.versioned_table (relation, key_columns, value_columns, effective_column, system_column, definition)
  values ('"prices"', array['sku'], array['price', 'qty', 'legacy_code', 'currency'], 'effective', 'system',
    '{"format":1,"name":"prices","key":[{"name":"sku","type":"text"}],"values":[{"name":"price","type":"numeric(10,2) not null"},{"name":"qty","type":"integer"},{"name":"legacy_code","type":"text"},{"name":"currency","type":"text default ''USD''"}],"effectiveColumn":"effective","systemColumn":"system","effective":"date","audit":false,"entity":false,"references":[]}'::jsonb)
  on conflict (relation) do update set key_columns = excluded.key_columns, value_columns = excluded.value_columns,
    effective_column = excluded.effective_column, system_column = excluded.system_column, definition = excluded.definition;

commit;

-- bitemporal: keys of "prices" whose current versions lack "currency"
select count(*)::text as keys from (select distinct t."sku" from "prices" as t where upper_inf(t."system") and t."currency" is null) as k;

start transaction isolation level read committed;

-- bitemporal: lock the next keys of "prices" whose current versions lack "currency"
with picked as (
  select distinct t."sku" from "prices" as t
  where upper_inf(t."system") and t."currency" is null
    and ($1::text is null or (t."sku") > (($1::text::jsonb ->> 0)::text))
  order by t."sku"
  limit $2::text::integer
),
locked as materialized (
  -- In key order, so that two corrections running at once cannot deadlock.
  select p.*, pg_advisory_xact_lock(hash_record_extended(row('"prices"'::regclass::oid, p."sku"), 0)) as bt$locked
  from picked p
  order by p."sku"
)
select json_agg(json_build_array(l."sku"::text) order by l."sku")::text as locked from locked l;

-- bitemporal: correct the current versions of the locked keys of "prices" with the default of "currency"
with locked as (
  select (e.key ->> 0)::text as "sku" from jsonb_array_elements($1::text::jsonb) as e (key)
),
ready as materialized (
  -- Written by a transaction that started at or after T: not at this T.
  select l.* from locked l where not exists (select 1 from "prices" as h where h."sku" = l."sku"
    and h."system" && tsrange(bitemporal.system_time(), null, '[)')
    and (lower(h."system") >= bitemporal.system_time() or (not upper_inf(h."system") and upper(h."system") > bitemporal.system_time())))
),
closed as (
  update "prices" as t set "system" = tsrange(lower(t."system"), bitemporal.system_time(), '[)')
  from ready r
  where t."sku" = r."sku" and upper_inf(t."system") and t."currency" is null
  returning t.*
),
inserted as (
  insert into "prices" ("sku", "price", "qty", "legacy_code", "currency", "effective")
  select c."sku", c."price", c."qty", c."legacy_code", 'USD', c."effective" from closed c
  returning 1
)
select (select count(*) from (select distinct c."sku" from closed c) as k)::text as keys,
  (select count(*) from inserted)::text as versions,
  ((select count(*) from locked) - (select count(*) from ready))::text as skipped;

commit;

start transaction isolation level read committed;

-- bitemporal: lock the next keys of "prices" whose current versions lack "currency"
with picked as (
  select distinct t."sku" from "prices" as t
  where upper_inf(t."system") and t."currency" is null
    and ($1::text is null or (t."sku") > (($1::text::jsonb ->> 0)::text))
  order by t."sku"
  limit $2::text::integer
),
locked as materialized (
  -- In key order, so that two corrections running at once cannot deadlock.
  select p.*, pg_advisory_xact_lock(hash_record_extended(row('"prices"'::regclass::oid, p."sku"), 0)) as bt$locked
  from picked p
  order by p."sku"
)
select json_agg(json_build_array(l."sku"::text) order by l."sku")::text as locked from locked l;

commit;
