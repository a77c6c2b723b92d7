-- createTable(db, definition): sent one statement per query, in one transaction
-- plain table "tax_rates": key state_id integer + tax_type text, value rate numeric, date valid time
-- columnTypesCheckSql(definition) + createTableSql(definition)
-- regenerate: npm run golden
do $bitemporal_check_types$ begin
  begin
    execute 'select null::integer where false';
  exception
    when undefined_object or invalid_schema_name then raise exception using errcode = 'BT004', message = 'bitemporal: column "state_id" of "tax_rates" has type "integer", which PostgreSQL does not know (' || sqlerrm || '); check the spelling in defineTable (e.g. "integer", "numeric(10,2)", "text[]")', hint = 'An enum, a domain or a composite type must be created before the table (create type … in an earlier statement of the migration); an extension type such as citext needs its extension (create extension …); a type in another schema needs that schema on the search_path or in its name.';
    when others then raise exception using errcode = 'BT004', message = 'bitemporal: column "state_id" of "tax_rates" has type "integer", which PostgreSQL cannot use: ' || sqlerrm || '; write it as PostgreSQL spells it in a column definition, a size after the type''s first word and only where the type takes one (e.g. "integer", "varchar(11)", "numeric(10,2)", "timestamp(3) with time zone")';
  end;
  begin
    execute 'select null::text where false';
  exception
    when undefined_object or invalid_schema_name then raise exception using errcode = 'BT004', message = 'bitemporal: column "tax_type" of "tax_rates" has type "text", which PostgreSQL does not know (' || sqlerrm || '); check the spelling in defineTable (e.g. "integer", "numeric(10,2)", "text[]")', hint = 'An enum, a domain or a composite type must be created before the table (create type … in an earlier statement of the migration); an extension type such as citext needs its extension (create extension …); a type in another schema needs that schema on the search_path or in its name.';
    when others then raise exception using errcode = 'BT004', message = 'bitemporal: column "tax_type" of "tax_rates" has type "text", which PostgreSQL cannot use: ' || sqlerrm || '; write it as PostgreSQL spells it in a column definition, a size after the type''s first word and only where the type takes one (e.g. "integer", "varchar(11)", "numeric(10,2)", "timestamp(3) with time zone")';
  end;
  begin
    execute 'select null::numeric where false';
  exception
    when undefined_object or invalid_schema_name then raise exception using errcode = 'BT004', message = 'bitemporal: column "rate" of "tax_rates" has type "numeric", which PostgreSQL does not know (' || sqlerrm || '); check the spelling in defineTable (e.g. "integer", "numeric(10,2)", "text[]")', hint = 'An enum, a domain or a composite type must be created before the table (create type … in an earlier statement of the migration); an extension type such as citext needs its extension (create extension …); a type in another schema needs that schema on the search_path or in its name.';
    when others then raise exception using errcode = 'BT004', message = 'bitemporal: column "rate" of "tax_rates" has type "numeric", which PostgreSQL cannot use: ' || sqlerrm || '; write it as PostgreSQL spells it in a column definition, a size after the type''s first word and only where the type takes one (e.g. "integer", "varchar(11)", "numeric(10,2)", "timestamp(3) with time zone")';
  end;
end $bitemporal_check_types$;
create table "tax_rates" (
  "state_id" integer not null,
  "tax_type" text not null,
  "rate" numeric not null,
  "effective" daterange not null,
  "system" tsrange not null default tsrange(bitemporal.system_time(), null, '[)'),
  constraint "tax_rates_effective_valid" check (not isempty("effective") and not lower_inf("effective") and isfinite(lower("effective")) and (upper_inf("effective") or isfinite(upper("effective"))) and lower_inc("effective") and not upper_inc("effective")),
  constraint "tax_rates_system_valid" check (not isempty("system") and lower_inc("system") and not lower_inf("system")),
  constraint "tax_rates_no_overlap" exclude using gist ("state_id" with =, "tax_type" with =, "effective" with &&, "system" with &&)
);
create index "tax_rates_current" on "tax_rates" ("state_id", "tax_type", lower("effective")) where upper_inf("system");
create index "tax_rates_asserted" on "tax_rates" (lower("system"));
create index "tax_rates_retracted" on "tax_rates" (upper("system")) where not upper_inf("system");
create trigger "tax_rates_check_inserted_system" before insert on "tax_rates"
  for each row when (NEW."system" is distinct from tsrange((now() at time zone 'UTC'), null, '[)')
    or not row(NEW."state_id", NEW."tax_type", NEW."rate", NEW."effective", NEW."system") *= NEW)
  execute function bitemporal.check_inserted_system('system');
create trigger "tax_rates_guard_history" before update on "tax_rates"
  for each row when (not (upper_inf(OLD."system") and lower(OLD."system") < (now() at time zone 'UTC')
    and NEW."system" = tsrange(lower(OLD."system"), (now() at time zone 'UTC'), '[)')
    and row(OLD."state_id", OLD."tax_type", OLD."rate", OLD."effective", NEW."system") *= NEW
    and row(NEW."state_id", NEW."tax_type", NEW."rate", NEW."effective", OLD."system") *= OLD))
  execute function bitemporal.guard_history('system');
create trigger "tax_rates_guard_delete" before delete on "tax_rates"
  for each row execute function bitemporal.guard_history('system');
create trigger "tax_rates_guard_truncate" before truncate on "tax_rates"
  for each statement execute function bitemporal.guard_history('system');
create or replace function "tax_rates_changed_after"(integer, text, timestamp, daterange, bigint, tid[]) returns boolean
language plpgsql volatile
as $$
begin
  if current_setting('transaction_isolation') <> 'read committed' then
    perform from "tax_rates" as h where h."state_id" = $1 and h."tax_type" = $2 and upper_inf(h."system") for share of h;
  end if;
  return exists (select 1 from "tax_rates" as h
      where h."state_id" = $1 and h."tax_type" = $2 and h."system" && tsrange($3, null, '()')
        and (lower(h."system") > $3 or (not upper_inf(h."system") and upper(h."system") > $3)))
    or (select count(*) <> $5 or coalesce(bool_or(h.ctid <> all ($6)), false) from "tax_rates" as h
      where h."state_id" = $1 and h."tax_type" = $2 and upper_inf(h."system") and h."effective" && $4);
end
$$;
insert into bitemporal.versioned_table (relation, key_columns, value_columns, effective_column, system_column, definition)
  values ('"tax_rates"', array['state_id', 'tax_type'], array['rate'], 'effective', 'system',
    '{"format":1,"name":"tax_rates","key":[{"name":"state_id","type":"integer"},{"name":"tax_type","type":"text"}],"values":[{"name":"rate","type":"numeric not null"}],"effectiveColumn":"effective","systemColumn":"system","effective":"date","audit":false,"entity":false,"references":[]}'::jsonb)
  on conflict (relation) do update set key_columns = excluded.key_columns, value_columns = excluded.value_columns,
    effective_column = excluded.effective_column, system_column = excluded.system_column, definition = excluded.definition;
