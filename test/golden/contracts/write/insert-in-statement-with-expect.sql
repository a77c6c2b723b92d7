-- repo.insert(key, { from, to }, values) with `expect`, outside a transaction
-- audited table "contracts" with an entity table and a reference to "customers": key contract_id integer, values customer_id integer + fee numeric, timestamp valid time
-- writeSql(context, 'insert', { scope: 'statement', expect: true })
-- regenerate: npm run golden
-- bitemporal insert on "contracts"
with
found as materialized (
  select t.ctid as bt$row, false as bt$own, t."contract_id", t."customer_id", t."fee", t."effective", t."system", case when $6::text::boolean then $7::text::integer else null end as bt$new_0, case when $8::text::boolean then $9::text::numeric else null end as bt$new_1, false as bt$changes
  from "contracts" as t
  where t."contract_id" = $1::text::integer and upper_inf(t."system") and lower(t."effective") < coalesce(upper($2::text::tstzrange), 'infinity') and (upper_inf(t."effective") or upper(t."effective") > lower($2::text::tstzrange))
),
verdict as materialized (
  select case
      when not pg_try_advisory_xact_lock(hash_record_extended(row('"contracts"'::regclass::oid, $1::text::integer), 0)) then 'busy'
      -- A version from a transaction that started later and committed first: this
      -- write's system time would come before what it builds on.
      when coalesce(bool_or(lower(f."system") > bitemporal.system_time() or (lower(f."system") = bitemporal.system_time() and not f.bt$own)), false) then 'stale'
      -- With the key's lock held: is the key still as found, and has no
      -- transaction that started later written it? (See keyChangedSql.)
      when case when current_setting('transaction_isolation') = 'read committed'
        and pg_current_xact_id() = pg_snapshot_xmax(pg_current_snapshot())
        and not exists (select 1 from pg_snapshot_xip(pg_current_snapshot()) as x where pg_xact_status(x) = 'committed') then exists (select 1 from "contracts" as h
      where h."contract_id" = $1::text::integer and h."system" && tsrange(bitemporal.system_time(), null, '()')
        and (lower(h."system") > bitemporal.system_time() or (not upper_inf(h."system") and upper(h."system") > bitemporal.system_time())))
        else "contracts_changed_after"($1::text::integer, bitemporal.system_time(), $2::text::tstzrange, count(*), array_agg(f.bt$row)) end then 'changed'
      when $3::text is not null and $3::text::timestamptz at time zone 'UTC' < (
        select max(greatest(lower(h."system"), upper(h."system"))) from "contracts" as h where h."contract_id" = $1::text::integer) then 'outdated'
      when count(*) > 0 then 'overlapping'
      else 'ok' end as state,
    count(*) filter (where f.bt$changes and f."effective" && $2::text::tstzrange and not f.bt$own) as closing
  from found f
),
closed as (
  update "contracts" as t set "system" = tsrange(lower(t."system"), bitemporal.system_time(), '[)'), "closed_by" = $4::text, "closed_reason" = $5::text
  from found l
  where t.ctid = l.bt$row and l.bt$changes and l."effective" && $2::text::tstzrange and not l.bt$own and (select v.state = 'ok' from verdict v)
  returning l.*
),
inserted as (
  insert into "contracts" ("contract_id", "customer_id", "fee", "effective", "recorded_by", "recorded_reason")
  select n.*, $4::text, $5::text
  from (
  select $1::text::integer, case when $6::text::boolean then $7::text::integer else null end, case when $8::text::boolean then $9::text::numeric else null end, $2::text::tstzrange
  ) as n ("contract_id", "customer_id", "fee", bt$range)
  where (select v.state = 'ok' from verdict v) and not isempty(n.bt$range)
  returning 1
),
entity_row as (
  insert into "contracts_entity" ("contract_id")
  select $1::text::integer
  where exists (select 1 from inserted)
  on conflict do nothing
),
in_turn as materialized (
  select case when v.state = 'busy'
    then bitemporal.write_in_turn(hash_record_extended(row('"contracts"'::regclass::oid, $1::text::integer), 0), '-- bitemporal insert on "contracts"
with
found as materialized (
  select t.ctid as bt$row, false as bt$own, t."contract_id", t."customer_id", t."fee", t."effective", t."system", case when $1[6]::text::boolean then $1[7]::text::integer else null end as bt$new_0, case when $1[8]::text::boolean then $1[9]::text::numeric else null end as bt$new_1, false as bt$changes
  from "contracts" as t
  where t."contract_id" = $1[1]::text::integer and upper_inf(t."system") and lower(t."effective") < coalesce(upper($1[2]::text::tstzrange), ''infinity'') and (upper_inf(t."effective") or upper(t."effective") > lower($1[2]::text::tstzrange))
),
verdict as materialized (
  select case
      when not pg_try_advisory_xact_lock(hash_record_extended(row(''"contracts"''::regclass::oid, $1[1]::text::integer), 0)) then ''busy''
      -- A version from a transaction that started later and committed first: this
      -- write''s system time would come before what it builds on.
      when coalesce(bool_or(lower(f."system") > bitemporal.system_time() or (lower(f."system") = bitemporal.system_time() and not f.bt$own)), false) then ''stale''
      -- With the key''s lock held: is the key still as found, and has no
      -- transaction that started later written it? (See keyChangedSql.)
      when case when current_setting(''transaction_isolation'') = ''read committed''
        and pg_current_xact_id() = pg_snapshot_xmax(pg_current_snapshot())
        and not exists (select 1 from pg_snapshot_xip(pg_current_snapshot()) as x where pg_xact_status(x) = ''committed'') then exists (select 1 from "contracts" as h
      where h."contract_id" = $1[1]::text::integer and h."system" && tsrange(bitemporal.system_time(), null, ''()'')
        and (lower(h."system") > bitemporal.system_time() or (not upper_inf(h."system") and upper(h."system") > bitemporal.system_time())))
        else "contracts_changed_after"($1[1]::text::integer, bitemporal.system_time(), $1[2]::text::tstzrange, count(*), array_agg(f.bt$row)) end then ''changed''
      when $1[3]::text is not null and $1[3]::text::timestamptz at time zone ''UTC'' < (
        select max(greatest(lower(h."system"), upper(h."system"))) from "contracts" as h where h."contract_id" = $1[1]::text::integer) then ''outdated''
      when count(*) > 0 then ''overlapping''
      else ''ok'' end as state,
    count(*) filter (where f.bt$changes and f."effective" && $1[2]::text::tstzrange and not f.bt$own) as closing
  from found f
),
closed as (
  update "contracts" as t set "system" = tsrange(lower(t."system"), bitemporal.system_time(), ''[)''), "closed_by" = $1[4]::text, "closed_reason" = $1[5]::text
  from found l
  where t.ctid = l.bt$row and l.bt$changes and l."effective" && $1[2]::text::tstzrange and not l.bt$own and (select v.state = ''ok'' from verdict v)
  returning l.*
),
inserted as (
  insert into "contracts" ("contract_id", "customer_id", "fee", "effective", "recorded_by", "recorded_reason")
  select n.*, $1[4]::text, $1[5]::text
  from (
  select $1[1]::text::integer, case when $1[6]::text::boolean then $1[7]::text::integer else null end, case when $1[8]::text::boolean then $1[9]::text::numeric else null end, $1[2]::text::tstzrange
  ) as n ("contract_id", "customer_id", "fee", bt$range)
  where (select v.state = ''ok'' from verdict v) and not isempty(n.bt$range)
  returning 1
),
entity_row as (
  insert into "contracts_entity" ("contract_id")
  select $1[1]::text::integer
  where exists (select 1 from inserted)
  on conflict do nothing
)
select
  -- A close that met its row changed after all (by a writer that bypassed the
  -- key''s lock) skipped it: raise rather than write around it.
  case when v.state in (''busy'', ''stale'', ''changed'') or (v.state = ''ok'' and r.closed <> v.closing)
    then bitemporal.raise_concurrent_write(''insert on "contracts"'', case when v.state = ''busy'' then hash_record_extended(row(''"contracts"''::regclass::oid, $1[1]::text::integer), 0) end)::text end as retry,
  -- Text only: the caller''s pg type parsers must not change what the library reads.
  case when v.state in (''outdated'', ''overlapping'', ''not_found'') then v.state else ''done'' end as outcome,
  r.replaced::text as closed,
  i.inserted::text as inserted,
  bitemporal.format_system_time(bitemporal.system_time()) as system_time
from verdict v,
  (select count(*) as replaced, count(*) filter (where not c.bt$own) as closed from closed c) as r,
  (select count(*) as inserted from inserted) as i', array[$1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::text, $9::text]) end as bt$result
  from verdict v
)
select
  -- A close that met its row changed after all (by a writer that bypassed the
  -- key's lock) skipped it: raise rather than write around it.
  case when v.state in ('busy', 'stale', 'changed') or (v.state = 'ok' and r.closed <> v.closing)
    then bitemporal.raise_concurrent_write('insert on "contracts"', case when v.state = 'busy' then hash_record_extended(row('"contracts"'::regclass::oid, $1::text::integer), 0) end)::text end as retry,
  -- Text only: the caller's pg type parsers must not change what the library reads.
  case when v.state in ('outdated', 'overlapping', 'not_found') then v.state else 'done' end as outcome,
  r.replaced::text as closed,
  i.inserted::text as inserted,
  bitemporal.format_system_time(bitemporal.system_time()) as system_time
from verdict v,
  (select count(*) as replaced, count(*) filter (where not c.bt$own) as closed from closed c) as r,
  (select count(*) as inserted from inserted) as i
where v.state <> 'busy'
union all
select t.bt$result[1], t.bt$result[2], t.bt$result[3], t.bt$result[4], t.bt$result[5]
from in_turn t where t.bt$result is not null
