-- upgradeTable(db, definition): these statements, after `lock table … in access exclusive mode`, in one transaction
-- audited table "contracts" with an entity table and a reference to "customers": key contract_id integer, values customer_id integer + fee numeric, timestamp valid time
-- upgradeTableSql(db, definition)
-- regenerate: npm run golden
drop trigger if exists "contracts_check_inserted_system" on "contracts";
drop trigger if exists "contracts_guard_history" on "contracts";
drop trigger if exists "contracts_guard_delete" on "contracts";
drop trigger if exists "contracts_guard_truncate" on "contracts";
drop function if exists "contracts_changed_after"(integer, timestamp, tstzrange, bigint);
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
