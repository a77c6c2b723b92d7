-- alterTable(db, contracts): turn on the reference to customers (the table was created without it)
-- alterTableSql(db, contracts)
-- regenerate: npm run golden
drop trigger if exists "contracts_check_inserted_system" on "contracts";
drop trigger if exists "contracts_guard_history" on "contracts";
drop trigger if exists "contracts_guard_delete" on "contracts";
drop trigger if exists "contracts_guard_truncate" on "contracts";
drop function if exists "contracts_changed_after"(integer, timestamp, tstzrange, bigint);
create index "contracts_reference_0_current" on "contracts" ("customer_id", lower("effective")) where upper_inf("system");
create constraint trigger "contracts_reference_0" after insert on "contracts"
  deferrable initially deferred for each row
  when (NEW."customer_id" is not null)
  execute function bitemporal.check_reference_child('"customers"', 'customer_id', 'customer_id', 'contract_id', 'effective', 'system', 'effective', 'system');
create constraint trigger "contracts_reference_0_parent" after update or delete on "customers"
  deferrable initially deferred for each row
  when (upper_inf(OLD."system"))
  execute function bitemporal.check_reference_parent('"contracts"', 'customer_id', 'customer_id', 'contract_id', 'effective', 'system', 'effective', 'system', 'restrict', 'recorded_by', 'recorded_reason', 'closed_by', 'closed_reason');
do $check$
declare
  uncovered text[];
  total bigint;
begin
  select (array_agg(u.problem order by u.n))[1:5], count(*) into uncovered, total from (
    select format('%s valid over %s is not covered over %s', bitemporal.describe_key(array['contract_id'], to_jsonb(c)), c."effective", c."bt$uncovered") as problem,
      row_number() over (order by c."contract_id", lower(c."effective")) as n
    from (select c.*, multirange(c."effective") - coalesce((select range_agg(p."effective") from "customers" as p
            where p."customer_id" = c."customer_id" and upper_inf(p."system")), '{}') as "bt$uncovered"
          from "contracts" as c where upper_inf(c."system") and c."customer_id" is not null) as c
    where not isempty(c."bt$uncovered")) as u;
  if total > 0 then
    raise exception using
      errcode = 'BT002',
      message = 'bitemporal: cannot turn on the reference from "contracts" (customer_id) to "customers" (customer_id): ' || format('%s current %s not covered by the parent: %s%s', total,
        case when total = 1 then 'version is' else 'versions are' end, array_to_string(uncovered, '; '),
        case when total > 5 then format(' (and %s more)', total - 5) else '' end),
      hint = 'Every current version of the child must lie inside the union of its parent''s current versions. Write the parents'' validity first, or end or shorten those children, then turn the reference on. Nothing was changed.';
  end if;
end
$check$;
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
