-- alterTable(db, prices, …): turn on the entity table (the definition says entity: true)
-- prices: key sku text, values price numeric(10,2) not null, qty integer, legacy_code text, date valid time
-- alterTableSql(db, definition, options)
-- regenerate: npm run golden
drop trigger if exists "prices_check_inserted_system" on "prices";
drop trigger if exists "prices_guard_history" on "prices";
drop trigger if exists "prices_guard_delete" on "prices";
drop trigger if exists "prices_guard_truncate" on "prices";
drop function if exists "prices_changed_after"(text, timestamp, daterange, bigint);
create table "prices_entity" (
  "sku" text not null,
  constraint "prices_entity_pkey" primary key ("sku")
);
insert into "prices_entity" ("sku")
  select v."sku" from "prices" as v group by v."sku" order by min(lower(v."system")), v."sku";
alter table "prices" add constraint "prices_entity_fk" foreign key ("sku") references "prices_entity" ("sku");
create trigger "prices_check_inserted_system" before insert on "prices"
  for each row when (NEW."system" is distinct from tsrange((now() at time zone 'UTC'), null, '[)')
    or not row(NEW."sku", NEW."price", NEW."qty", NEW."legacy_code", NEW."effective", NEW."system") *= NEW)
  execute function bitemporal.check_inserted_system('system');
create trigger "prices_guard_history" before update on "prices"
  for each row when (not (upper_inf(OLD."system") and lower(OLD."system") < (now() at time zone 'UTC')
    and NEW."system" = tsrange(lower(OLD."system"), (now() at time zone 'UTC'), '[)')
    and row(OLD."sku", OLD."price", OLD."qty", OLD."legacy_code", OLD."effective", NEW."system") *= NEW
    and row(NEW."sku", NEW."price", NEW."qty", NEW."legacy_code", NEW."effective", OLD."system") *= OLD))
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
  values ('"prices"', array['sku'], array['price', 'qty', 'legacy_code'], 'effective', 'system',
    '{"format":1,"name":"prices","key":[{"name":"sku","type":"text"}],"values":[{"name":"price","type":"numeric(10,2) not null"},{"name":"qty","type":"integer"},{"name":"legacy_code","type":"text"}],"effectiveColumn":"effective","systemColumn":"system","effective":"date","audit":false,"entity":true,"references":[]}'::jsonb)
  on conflict (relation) do update set key_columns = excluded.key_columns, value_columns = excluded.value_columns,
    effective_column = excluded.effective_column, system_column = excluded.system_column, definition = excluded.definition;
