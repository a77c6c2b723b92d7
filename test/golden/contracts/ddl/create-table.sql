-- createTable(db, definition): sent one statement per query, in one transaction
-- audited table "contracts" with an entity table and a reference to "customers": key contract_id integer, values customer_id integer + fee numeric, timestamp valid time
-- columnTypesCheckSql(definition) + createTableSql(definition)
-- regenerate: npm run golden
do $bitemporal_check_types$ begin
  begin
    execute 'select null::integer where false';
  exception
    when undefined_object or invalid_schema_name then raise exception using errcode = 'BT004', message = 'bitemporal: column "contract_id" of "contracts" has type "integer", which PostgreSQL does not know (' || sqlerrm || '); check the spelling in defineTable (e.g. "integer", "numeric(10,2)", "text[]")', hint = 'An enum, a domain or a composite type must be created before the table (create type … in an earlier statement of the migration); an extension type such as citext needs its extension (create extension …); a type in another schema needs that schema on the search_path or in its name.';
    when others then raise exception using errcode = 'BT004', message = 'bitemporal: column "contract_id" of "contracts" has type "integer", which PostgreSQL cannot use: ' || sqlerrm || '; write it as PostgreSQL spells it in a column definition, a size after the type''s first word and only where the type takes one (e.g. "integer", "varchar(11)", "numeric(10,2)", "timestamp(3) with time zone")';
  end;
  begin
    execute 'select null::integer where false';
  exception
    when undefined_object or invalid_schema_name then raise exception using errcode = 'BT004', message = 'bitemporal: column "customer_id" of "contracts" has type "integer", which PostgreSQL does not know (' || sqlerrm || '); check the spelling in defineTable (e.g. "integer", "numeric(10,2)", "text[]")', hint = 'An enum, a domain or a composite type must be created before the table (create type … in an earlier statement of the migration); an extension type such as citext needs its extension (create extension …); a type in another schema needs that schema on the search_path or in its name.';
    when others then raise exception using errcode = 'BT004', message = 'bitemporal: column "customer_id" of "contracts" has type "integer", which PostgreSQL cannot use: ' || sqlerrm || '; write it as PostgreSQL spells it in a column definition, a size after the type''s first word and only where the type takes one (e.g. "integer", "varchar(11)", "numeric(10,2)", "timestamp(3) with time zone")';
  end;
  begin
    execute 'select null::numeric where false';
  exception
    when undefined_object or invalid_schema_name then raise exception using errcode = 'BT004', message = 'bitemporal: column "fee" of "contracts" has type "numeric", which PostgreSQL does not know (' || sqlerrm || '); check the spelling in defineTable (e.g. "integer", "numeric(10,2)", "text[]")', hint = 'An enum, a domain or a composite type must be created before the table (create type … in an earlier statement of the migration); an extension type such as citext needs its extension (create extension …); a type in another schema needs that schema on the search_path or in its name.';
    when others then raise exception using errcode = 'BT004', message = 'bitemporal: column "fee" of "contracts" has type "numeric", which PostgreSQL cannot use: ' || sqlerrm || '; write it as PostgreSQL spells it in a column definition, a size after the type''s first word and only where the type takes one (e.g. "integer", "varchar(11)", "numeric(10,2)", "timestamp(3) with time zone")';
  end;
end $bitemporal_check_types$;
create table "contracts_entity" (
  "contract_id" integer not null,
  constraint "contracts_entity_pkey" primary key ("contract_id")
);
create table "contracts" (
  "contract_id" integer not null,
  "customer_id" integer not null,
  "fee" numeric not null,
  "recorded_by" text not null,
  "recorded_reason" text,
  "closed_by" text,
  "closed_reason" text,
  "effective" tstzrange not null,
  "system" tsrange not null default tsrange(bitemporal.system_time(), null, '[)'),
  constraint "contracts_effective_valid" check (not isempty("effective") and not lower_inf("effective") and isfinite(lower("effective")) and (upper_inf("effective") or isfinite(upper("effective"))) and lower_inc("effective") and not upper_inc("effective")),
  constraint "contracts_system_valid" check (not isempty("system") and lower_inc("system") and not lower_inf("system")),
  constraint "contracts_no_overlap" exclude using gist ("contract_id" with =, "effective" with &&, "system" with &&),
  constraint "contracts_entity_fk" foreign key ("contract_id") references "contracts_entity" ("contract_id")
);
create index "contracts_current" on "contracts" ("contract_id", lower("effective")) where upper_inf("system");
create index "contracts_asserted" on "contracts" (lower("system"));
create index "contracts_retracted" on "contracts" (upper("system")) where not upper_inf("system");
create trigger "contracts_check_inserted_system" before insert on "contracts"
  for each row when (NEW."system" is distinct from tsrange((now() at time zone 'UTC'), null, '[)')
    or not row(NEW."contract_id", NEW."customer_id", NEW."fee", NEW."recorded_by", NEW."recorded_reason", NEW."closed_by", NEW."closed_reason", NEW."effective", NEW."system") *= NEW)
  execute function bitemporal.check_inserted_system('system');
create trigger "contracts_guard_history" before update on "contracts"
  for each row when (not (upper_inf(OLD."system") and lower(OLD."system") < (now() at time zone 'UTC')
    and NEW."system" = tsrange(lower(OLD."system"), (now() at time zone 'UTC'), '[)')
    and OLD."closed_by" is null
    and OLD."closed_reason" is null
    and row(OLD."contract_id", OLD."customer_id", OLD."fee", OLD."recorded_by", OLD."recorded_reason", NEW."closed_by", NEW."closed_reason", OLD."effective", NEW."system") *= NEW
    and row(NEW."contract_id", NEW."customer_id", NEW."fee", NEW."recorded_by", NEW."recorded_reason", OLD."closed_by", OLD."closed_reason", NEW."effective", OLD."system") *= OLD))
  execute function bitemporal.guard_history('system', 'closed_by', 'closed_reason');
create trigger "contracts_guard_delete" before delete on "contracts"
  for each row execute function bitemporal.guard_history('system', 'closed_by', 'closed_reason');
create trigger "contracts_guard_truncate" before truncate on "contracts"
  for each statement execute function bitemporal.guard_history('system');
create or replace function "contracts_changed_after"(integer, timestamp, tstzrange, bigint, tid[]) returns boolean
language plpgsql volatile
as $$
begin
  if current_setting('transaction_isolation') <> 'read committed' then
    perform from "contracts" as h where h."contract_id" = $1 and upper_inf(h."system") for share of h;
  end if;
  return exists (select 1 from "contracts" as h
      where h."contract_id" = $1 and h."system" && tsrange($2, null, '()')
        and (lower(h."system") > $2 or (not upper_inf(h."system") and upper(h."system") > $2)))
    or (select count(*) <> $4 or coalesce(bool_or(h.ctid <> all ($5)), false) from "contracts" as h
      where h."contract_id" = $1 and upper_inf(h."system") and h."effective" && $3);
end
$$;
insert into bitemporal.versioned_table (relation, key_columns, value_columns, effective_column, system_column, definition)
  values ('"contracts"', array['contract_id'], array['customer_id', 'fee'], 'effective', 'system',
    '{"format":1,"name":"contracts","key":[{"name":"contract_id","type":"integer"}],"values":[{"name":"customer_id","type":"integer not null"},{"name":"fee","type":"numeric not null"}],"effectiveColumn":"effective","systemColumn":"system","effective":"timestamp","audit":true,"entity":true,"references":[{"table":{"format":1,"name":"customers","key":[{"name":"customer_id","type":"integer"}],"values":[{"name":"name","type":"text not null"}],"effectiveColumn":"effective","systemColumn":"system","effective":"timestamp","audit":false,"entity":true,"references":[]},"columns":{"customer_id":"customer_id"},"onParentDelete":"restrict"}]}'::jsonb)
  on conflict (relation) do update set key_columns = excluded.key_columns, value_columns = excluded.value_columns,
    effective_column = excluded.effective_column, system_column = excluded.system_column, definition = excluded.definition;
create index "contracts_reference_0_current" on "contracts" ("customer_id", lower("effective")) where upper_inf("system");
create constraint trigger "contracts_reference_0" after insert on "contracts"
  deferrable initially deferred for each row
  when (NEW."customer_id" is not null)
  execute function bitemporal.check_reference_child('"customers"', 'customer_id', 'customer_id', 'contract_id', 'effective', 'system', 'effective', 'system');
create constraint trigger "contracts_reference_0_parent" after update or delete on "customers"
  deferrable initially deferred for each row
  when (upper_inf(OLD."system"))
  execute function bitemporal.check_reference_parent('"contracts"', 'customer_id', 'customer_id', 'contract_id', 'effective', 'system', 'effective', 'system', 'restrict', 'recorded_by', 'recorded_reason', 'closed_by', 'closed_reason');
