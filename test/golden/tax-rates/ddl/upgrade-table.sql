-- upgradeTable(db, definition): these statements, after `lock table … in access exclusive mode`, in one transaction
-- plain table "tax_rates": key state_id integer + tax_type text, value rate numeric, date valid time
-- upgradeTableSql(db, definition)
-- regenerate: npm run golden
drop trigger if exists "tax_rates_check_inserted_system" on "tax_rates";
drop trigger if exists "tax_rates_guard_history" on "tax_rates";
drop trigger if exists "tax_rates_guard_delete" on "tax_rates";
drop trigger if exists "tax_rates_guard_truncate" on "tax_rates";
drop function if exists "tax_rates_changed_after"(integer, text, timestamp, daterange, bigint);
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
