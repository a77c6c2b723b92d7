-- convertToBitemporal(db, { from: 'plans', to: planVersions, effectiveFrom: 'created_at', effectiveTo: 'deleted_at', view: true, batchSize: 40, resumable: true }): every statement sent, in order
-- plans: id integer primary key, name text, price numeric(10,2), created_at timestamptz, deleted_at timestamptz; 100 rows on 3 pages
-- planVersions: key id integer, values name text not null + price numeric(10,2) not null, date valid time
-- regenerate: npm run golden
start transaction isolation level read committed;

select pg_advisory_xact_lock(hashtextextended($1::text, 0)), to_regclass('bitemporal.conversion') is not null as installed;

select c.id::text as id, c.options, c.total::float8 as total, c.skipped::float8 as skipped, c.copied::float8 as copied,
  c.pages, c.batch_pages, c.next_page, c.batches,
  bitemporal.format_system_time(c.first_system_time) as first_system_time, bitemporal.format_system_time(c.last_system_time) as last_system_time,
  bitemporal.format_system_time(c.started_at) as started_at, c.finished_at is not null as finished,
  n.nspname as schema_now, s.relname as name_now, c.source_schema, c.source_name,
  pg_relation_filenode(s.oid) is distinct from c.source_filenode as rewritten
from bitemporal.conversion c left join pg_class s on s.oid = c.source left join pg_namespace n on n.oid = s.relnamespace
where c.target = to_regclass($1::text) order by c.id desc limit 1;

select c.oid::int as oid, n.nspname as schema, c.relname as name, c.relkind::text as kind,
       c.reltuples::float8 as estimated_rows,
       (pg_relation_size(c.oid) / current_setting('block_size')::int)::int as pages,
       (select json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'oid', a.atttypid::int) order by a.attnum)
          from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) as columns,
       (select coalesce(json_agg(distinct r.ev_class::regclass::text), '[]')
          from pg_depend d join pg_rewrite r on r.oid = d.objid
          where d.classid = 'pg_rewrite'::regclass and d.refclassid = 'pg_class'::regclass and d.refobjid = c.oid
            and r.ev_class <> c.oid) as views,
       (select coalesce(json_agg(k.conrelid::regclass::text || '.' || k.conname), '[]')
          from pg_constraint k where k.contype = 'f' and k.confrelid = c.oid and k.conrelid <> c.oid) as foreign_keys
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.oid = to_regclass($1::text);

select p.column_name, p.target_type, to_regtype(p.target_type) is null as missing,
       not (s.oid = t.oid
         or s.typtype <> 'b' or t.typtype <> 'b' or s.typcategory = 'A' or t.typcategory = 'A' or t.typcategory = 'S'
         or exists (select from pg_cast c where c.castsource = s.oid and c.casttarget = t.oid and c.castcontext in ('a', 'i'))) as incompatible,
       format_type(s.oid, null) as source_type
     from unnest($1::text::text[], $2::text::oid[], $3::text::text[]) as p (column_name, source_oid, target_type)
     join pg_type s on s.oid = p.source_oid
     left join pg_type t on t.oid = to_regtype(p.target_type);

select to_regclass($1::text)::oid::int as oid;

select to_regclass($1::text)::oid::int as oid;

lock table "public"."plans" in exclusive mode;

select count(*) filter (where true)::int as copied,
  count(*)::int as total,
  count(*) filter (where s."id" is null)::int as null_key,
  (array_agg(json_build_object('id', s."id")::text) filter (where s."id" is null))[1:5] as null_key_sample,
  count(*) filter (where (s."created_at" at time zone 'UTC')::date is null or (s."created_at" at time zone 'UTC')::date in ('infinity', '-infinity'))::int as bad_start,
  (array_agg(json_build_object('id', s."id")::text) filter (where (s."created_at" at time zone 'UTC')::date is null or (s."created_at" at time zone 'UTC')::date in ('infinity', '-infinity')))[1:5] as bad_start_sample,
  count(*) filter (where (s."created_at" at time zone 'UTC')::date is not null and (case when (s."deleted_at" at time zone 'UTC')::date <> 'infinity' then (s."deleted_at" at time zone 'UTC')::date end) <= (s."created_at" at time zone 'UTC')::date)::int as empty,
  (array_agg(json_build_object('id', s."id")::text) filter (where (s."created_at" at time zone 'UTC')::date is not null and (case when (s."deleted_at" at time zone 'UTC')::date <> 'infinity' then (s."deleted_at" at time zone 'UTC')::date end) <= (s."created_at" at time zone 'UTC')::date))[1:5] as empty_sample
from "public"."plans" as s;

select key, rows, count(*) over ()::int as keys from (
  select json_build_object('id', s."id")::text as key, count(*)::int as rows from "public"."plans" as s where true group by s."id" having count(*) > 1
) d order by rows desc, key limit 5;

alter table "public"."plans" rename to "plans_plain";

create table "plan_versions" (
  "id" integer not null,
  "name" text not null,
  "price" numeric(10,2) not null,
  "effective" daterange not null,
  "system" tsrange not null default tsrange(bitemporal.system_time(), null, '[)'),
  constraint "plan_versions_effective_valid" check (not isempty("effective") and not lower_inf("effective") and isfinite(lower("effective")) and (upper_inf("effective") or isfinite(upper("effective"))) and lower_inc("effective") and not upper_inc("effective")),
  constraint "plan_versions_system_valid" check (not isempty("system") and lower_inc("system") and not lower_inf("system")),
  constraint "plan_versions_no_overlap" exclude using gist ("id" with =, "effective" with &&, "system" with &&)
);

create index "plan_versions_current" on "plan_versions" ("id", lower("effective")) where upper_inf("system");

create index "plan_versions_asserted" on "plan_versions" (lower("system"));

create index "plan_versions_retracted" on "plan_versions" (upper("system")) where not upper_inf("system");

create trigger "plan_versions_check_inserted_system" before insert on "plan_versions"
  for each row when (NEW."system" is distinct from tsrange((now() at time zone 'UTC'), null, '[)')
    or not row(NEW."id", NEW."name", NEW."price", NEW."effective", NEW."system") *= NEW)
  execute function bitemporal.check_inserted_system('system');

create trigger "plan_versions_guard_history" before update on "plan_versions"
  for each row when (not (upper_inf(OLD."system") and lower(OLD."system") < (now() at time zone 'UTC')
    and NEW."system" = tsrange(lower(OLD."system"), (now() at time zone 'UTC'), '[)')
    and row(OLD."id", OLD."name", OLD."price", OLD."effective", NEW."system") *= NEW
    and row(NEW."id", NEW."name", NEW."price", NEW."effective", OLD."system") *= OLD))
  execute function bitemporal.guard_history('system');

create trigger "plan_versions_guard_delete" before delete on "plan_versions"
  for each row execute function bitemporal.guard_history('system');

create trigger "plan_versions_guard_truncate" before truncate on "plan_versions"
  for each statement execute function bitemporal.guard_history('system');

create or replace function "plan_versions_changed_after"(integer, timestamp, daterange, bigint, tid[]) returns boolean
language plpgsql volatile
as $$
begin
  if current_setting('transaction_isolation') <> 'read committed' then
    perform from "plan_versions" as h where h."id" = $1 and upper_inf(h."system") for share of h;
  end if;
  return exists (select 1 from "plan_versions" as h
      where h."id" = $1 and h."system" && tsrange($2, null, '()')
        and (lower(h."system") > $2 or (not upper_inf(h."system") and upper(h."system") > $2)))
    or (select count(*) <> $4 or coalesce(bool_or(h.ctid <> all ($5)), false) from "plan_versions" as h
      where h."id" = $1 and upper_inf(h."system") and h."effective" && $3);
end
$$;

insert into bitemporal.versioned_table (relation, key_columns, value_columns, effective_column, system_column, definition)
  values ('"plan_versions"', array['id'], array['name', 'price'], 'effective', 'system',
    '{"format":1,"name":"plan_versions","key":[{"name":"id","type":"integer"}],"values":[{"name":"name","type":"text not null"},{"name":"price","type":"numeric(10,2) not null"}],"effectiveColumn":"effective","systemColumn":"system","effective":"date","audit":false,"entity":false,"references":[]}'::jsonb)
  on conflict (relation) do update set key_columns = excluded.key_columns, value_columns = excluded.value_columns,
    effective_column = excluded.effective_column, system_column = excluded.system_column, definition = excluded.definition;

select (pg_relation_size($1::text::regclass) / current_setting('block_size')::int)::int as pages, current_setting('server_version_num')::int >= 140000 as tid_range;

insert into bitemporal.conversion (source, source_schema, source_name, target, options, total, skipped, pages, batch_pages, source_filenode)
     values ($1::text::regclass, $2::text, $3::text, to_regclass($4::text), $5::text::jsonb, $6::text::bigint, $7::text::bigint, $8::text::integer, $9::text::integer, pg_relation_filenode($1::text::regclass))
     returning id::text as id;

create trigger bitemporal_conversion_pending before insert or update or delete or truncate on "public"."plans_plain"
     for each statement execute function bitemporal.refuse_pending_conversion('1', '"plan_versions"');

select c.id::text as id, c.options, c.total::float8 as total, c.skipped::float8 as skipped, c.copied::float8 as copied,
  c.pages, c.batch_pages, c.next_page, c.batches,
  bitemporal.format_system_time(c.first_system_time) as first_system_time, bitemporal.format_system_time(c.last_system_time) as last_system_time,
  bitemporal.format_system_time(c.started_at) as started_at, c.finished_at is not null as finished,
  n.nspname as schema_now, s.relname as name_now, c.source_schema, c.source_name,
  pg_relation_filenode(s.oid) is distinct from c.source_filenode as rewritten
from bitemporal.conversion c left join pg_class s on s.oid = c.source left join pg_namespace n on n.oid = s.relnamespace
where c.id = $1::text::bigint for update of c;

commit;

select c.oid::int as oid, n.nspname as schema, c.relname as name, c.relkind::text as kind,
       c.reltuples::float8 as estimated_rows,
       (pg_relation_size(c.oid) / current_setting('block_size')::int)::int as pages,
       (select json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'oid', a.atttypid::int) order by a.attnum)
          from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) as columns,
       (select coalesce(json_agg(distinct r.ev_class::regclass::text), '[]')
          from pg_depend d join pg_rewrite r on r.oid = d.objid
          where d.classid = 'pg_rewrite'::regclass and d.refclassid = 'pg_class'::regclass and d.refobjid = c.oid
            and r.ev_class <> c.oid) as views,
       (select coalesce(json_agg(k.conrelid::regclass::text || '.' || k.conname), '[]')
          from pg_constraint k where k.contype = 'f' and k.confrelid = c.oid and k.conrelid <> c.oid) as foreign_keys
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.oid = to_regclass($1::text);

select p.column_name, p.target_type, to_regtype(p.target_type) is null as missing,
       not (s.oid = t.oid
         or s.typtype <> 'b' or t.typtype <> 'b' or s.typcategory = 'A' or t.typcategory = 'A' or t.typcategory = 'S'
         or exists (select from pg_cast c where c.castsource = s.oid and c.casttarget = t.oid and c.castcontext in ('a', 'i'))) as incompatible,
       format_type(s.oid, null) as source_type
     from unnest($1::text::text[], $2::text::oid[], $3::text::text[]) as p (column_name, source_oid, target_type)
     join pg_type s on s.oid = p.source_oid
     left join pg_type t on t.oid = to_regtype(p.target_type);

start transaction isolation level read committed;

select c.id::text as id, c.options, c.total::float8 as total, c.skipped::float8 as skipped, c.copied::float8 as copied,
  c.pages, c.batch_pages, c.next_page, c.batches,
  bitemporal.format_system_time(c.first_system_time) as first_system_time, bitemporal.format_system_time(c.last_system_time) as last_system_time,
  bitemporal.format_system_time(c.started_at) as started_at, c.finished_at is not null as finished,
  n.nspname as schema_now, s.relname as name_now, c.source_schema, c.source_name,
  pg_relation_filenode(s.oid) is distinct from c.source_filenode as rewritten
from bitemporal.conversion c left join pg_class s on s.oid = c.source left join pg_namespace n on n.oid = s.relnamespace
where c.id = $1::text::bigint for update of c;

with copied as (
  insert into "plan_versions" ("id", "name", "price", "effective")
  select s."id", s."name", s."price", daterange((s."created_at" at time zone 'UTC')::date, (case when (s."deleted_at" at time zone 'UTC')::date <> 'infinity' then (s."deleted_at" at time zone 'UTC')::date end), '[)')
  from "public"."plans_plain" as s
  where s.ctid >= $1::text::tid and s.ctid < $2::text::tid and true
  returning 1
)
select (select count(*) from copied)::int as copied, bitemporal.format_system_time(bitemporal.system_time()) as system_time;

update bitemporal.conversion set next_page = next_page + batch_pages, copied = copied + $2::text::bigint, batches = batches + 1,
       first_system_time = case when $2::text::bigint > 0 then coalesce(first_system_time, bitemporal.system_time()) else first_system_time end,
       last_system_time = case when $2::text::bigint > 0 then bitemporal.system_time() else last_system_time end
     where id = $1::text::bigint;

commit;

start transaction isolation level read committed;

select c.id::text as id, c.options, c.total::float8 as total, c.skipped::float8 as skipped, c.copied::float8 as copied,
  c.pages, c.batch_pages, c.next_page, c.batches,
  bitemporal.format_system_time(c.first_system_time) as first_system_time, bitemporal.format_system_time(c.last_system_time) as last_system_time,
  bitemporal.format_system_time(c.started_at) as started_at, c.finished_at is not null as finished,
  n.nspname as schema_now, s.relname as name_now, c.source_schema, c.source_name,
  pg_relation_filenode(s.oid) is distinct from c.source_filenode as rewritten
from bitemporal.conversion c left join pg_class s on s.oid = c.source left join pg_namespace n on n.oid = s.relnamespace
where c.id = $1::text::bigint for update of c;

with copied as (
  insert into "plan_versions" ("id", "name", "price", "effective")
  select s."id", s."name", s."price", daterange((s."created_at" at time zone 'UTC')::date, (case when (s."deleted_at" at time zone 'UTC')::date <> 'infinity' then (s."deleted_at" at time zone 'UTC')::date end), '[)')
  from "public"."plans_plain" as s
  where s.ctid >= $1::text::tid and true
  returning 1
)
select (select count(*) from copied)::int as copied, bitemporal.format_system_time(bitemporal.system_time()) as system_time;

update bitemporal.conversion set next_page = next_page + batch_pages, copied = copied + $2::text::bigint, batches = batches + 1,
       first_system_time = case when $2::text::bigint > 0 then coalesce(first_system_time, bitemporal.system_time()) else first_system_time end,
       last_system_time = case when $2::text::bigint > 0 then bitemporal.system_time() else last_system_time end
     where id = $1::text::bigint;

commit;

start transaction isolation level read committed;

select c.id::text as id, c.options, c.total::float8 as total, c.skipped::float8 as skipped, c.copied::float8 as copied,
  c.pages, c.batch_pages, c.next_page, c.batches,
  bitemporal.format_system_time(c.first_system_time) as first_system_time, bitemporal.format_system_time(c.last_system_time) as last_system_time,
  bitemporal.format_system_time(c.started_at) as started_at, c.finished_at is not null as finished,
  n.nspname as schema_now, s.relname as name_now, c.source_schema, c.source_name,
  pg_relation_filenode(s.oid) is distinct from c.source_filenode as rewritten
from bitemporal.conversion c left join pg_class s on s.oid = c.source left join pg_namespace n on n.oid = s.relnamespace
where c.id = $1::text::bigint for update of c;

commit;

start transaction isolation level read committed;

select c.id::text as id, c.options, c.total::float8 as total, c.skipped::float8 as skipped, c.copied::float8 as copied,
  c.pages, c.batch_pages, c.next_page, c.batches,
  bitemporal.format_system_time(c.first_system_time) as first_system_time, bitemporal.format_system_time(c.last_system_time) as last_system_time,
  bitemporal.format_system_time(c.started_at) as started_at, c.finished_at is not null as finished,
  n.nspname as schema_now, s.relname as name_now, c.source_schema, c.source_name,
  pg_relation_filenode(s.oid) is distinct from c.source_filenode as rewritten
from bitemporal.conversion c left join pg_class s on s.oid = c.source left join pg_namespace n on n.oid = s.relnamespace
where c.id = $1::text::bigint for update of c;

create view "public"."plans" as
select v."id"::integer as "id",
  v."name"::text as "name",
  v."price"::numeric(10,2) as "price",
  (v.bitemporal_first_from::timestamp at time zone 'UTC')::timestamp with time zone as "created_at",
  (v.bitemporal_last_to::timestamp at time zone 'UTC')::timestamp with time zone as "deleted_at"
from (
  select distinct on (t."id") t.*,
    min(lower(t."effective")) over w as bitemporal_first_from,
    case when bool_or(upper_inf(t."effective")) over w then null else max(upper(t."effective")) over w end as bitemporal_last_to
  from "plan_versions" as t
  where upper_inf(t."system")
  window w as (partition by t."id")
  order by t."id", lower(t."effective") > (current_timestamp at time zone 'UTC')::date,
    case when lower(t."effective") <= (current_timestamp at time zone 'UTC')::date then lower(t."effective") end desc, lower(t."effective")
) as v;

comment on view "public"."plans" is 'bitemporal: compatibility view of "plan_versions" (current knowledge, valid today); write through the repository';

drop trigger if exists bitemporal_conversion_pending on "public"."plans_plain";

update bitemporal.conversion set finished_at = bitemporal.system_time() where id = $1::text::bigint;

commit;
