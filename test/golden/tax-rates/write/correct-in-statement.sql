-- repo.correct(key, { at }, patch), outside a transaction
-- plain table "tax_rates": key state_id integer + tax_type text, value rate numeric, date valid time
-- writeSql(context, 'correct', { scope: 'statement', expect: false })
-- regenerate: npm run golden
-- bitemporal correct on "tax_rates"
with
found as materialized (
  select t.ctid as bt$row, false as bt$own, t."state_id", t."tax_type", t."rate", t."effective", t."system", case when $5::text::boolean then $6::text::numeric else t."rate" end as bt$new_0, t."rate"::text is distinct from (case when $5::text::boolean then $6::text::numeric else t."rate" end)::text as bt$changes
  from "tax_rates" as t
  where t."state_id" = $1::text::integer and t."tax_type" = $2::text and upper_inf(t."system") and lower(t."effective") <= $3::text::date and (upper_inf(t."effective") or upper(t."effective") > $3::text::date)
),
portion as (
  select (select l."effective" from found l) as bt$range
),
verdict as materialized (
  select case
      when not pg_try_advisory_xact_lock(hash_record_extended(row('"tax_rates"'::regclass::oid, $1::text::integer, $2::text), 0)) then 'busy'
      -- A version from a transaction that started later and committed first: this
      -- write's system time would come before what it builds on.
      when coalesce(bool_or(lower(f."system") > bitemporal.system_time() or (lower(f."system") = bitemporal.system_time() and not f.bt$own)), false) then 'stale'
      -- With the key's lock held: is the key still as found, and has no
      -- transaction that started later written it? (See keyChangedSql.)
      when case when current_setting('transaction_isolation') = 'read committed'
        and pg_current_xact_id() = pg_snapshot_xmax(pg_current_snapshot())
        and not exists (select 1 from pg_snapshot_xip(pg_current_snapshot()) as x where pg_xact_status(x) = 'committed') then exists (select 1 from "tax_rates" as h
      where h."state_id" = $1::text::integer and h."tax_type" = $2::text and h."system" && tsrange(bitemporal.system_time(), null, '()')
        and (lower(h."system") > bitemporal.system_time() or (not upper_inf(h."system") and upper(h."system") > bitemporal.system_time())))
        else "tax_rates_changed_after"($1::text::integer, $2::text, bitemporal.system_time(), daterange($3::text::date, $3::text::date, '[]'), count(*), array_agg(f.bt$row)) end then 'changed'
      when count(*) = 0 then 'not_found'
      else 'ok' end as state,
    count(*) filter (where f.bt$changes and f."effective" && (select p.bt$range from portion p) and not f.bt$own) as closing,
    -- Typed, so that both variants take the same parameters; null here.
    $4::text::timestamptz as bt$expect
  from found f
),
closed as (
  update "tax_rates" as t set "system" = tsrange(lower(t."system"), bitemporal.system_time(), '[)')
  from found l
  where t.ctid = l.bt$row and l.bt$changes and l."effective" && (select p.bt$range from portion p) and not l.bt$own and (select v.state = 'ok' from verdict v)
  returning l.*
),
inserted as (
  insert into "tax_rates" ("state_id", "tax_type", "rate", "effective")
  select n.*
  from (
  select c."state_id", c."tax_type", c."rate", c."effective" * daterange(null, lower((select p.bt$range from portion p)), '[)') from closed c where lower(c."effective") < lower((select p.bt$range from portion p))
  union all
  select c."state_id", c."tax_type", c."rate", c."effective" * daterange(upper((select p.bt$range from portion p)), null, '[)') from closed c where not upper_inf((select p.bt$range from portion p)) and (upper_inf(c."effective") or upper(c."effective") > upper((select p.bt$range from portion p)))
  union all
  select c."state_id", c."tax_type", c.bt$new_0, c."effective" from closed c
  ) as n ("state_id", "tax_type", "rate", bt$range)
  where (select v.state = 'ok' from verdict v) and not isempty(n.bt$range)
  returning 1
),
in_turn as materialized (
  select case when v.state = 'busy'
    then bitemporal.write_in_turn(hash_record_extended(row('"tax_rates"'::regclass::oid, $1::text::integer, $2::text), 0), '-- bitemporal correct on "tax_rates"
with
found as materialized (
  select t.ctid as bt$row, false as bt$own, t."state_id", t."tax_type", t."rate", t."effective", t."system", case when $1[5]::text::boolean then $1[6]::text::numeric else t."rate" end as bt$new_0, t."rate"::text is distinct from (case when $1[5]::text::boolean then $1[6]::text::numeric else t."rate" end)::text as bt$changes
  from "tax_rates" as t
  where t."state_id" = $1[1]::text::integer and t."tax_type" = $1[2]::text and upper_inf(t."system") and lower(t."effective") <= $1[3]::text::date and (upper_inf(t."effective") or upper(t."effective") > $1[3]::text::date)
),
portion as (
  select (select l."effective" from found l) as bt$range
),
verdict as materialized (
  select case
      when not pg_try_advisory_xact_lock(hash_record_extended(row(''"tax_rates"''::regclass::oid, $1[1]::text::integer, $1[2]::text), 0)) then ''busy''
      -- A version from a transaction that started later and committed first: this
      -- write''s system time would come before what it builds on.
      when coalesce(bool_or(lower(f."system") > bitemporal.system_time() or (lower(f."system") = bitemporal.system_time() and not f.bt$own)), false) then ''stale''
      -- With the key''s lock held: is the key still as found, and has no
      -- transaction that started later written it? (See keyChangedSql.)
      when case when current_setting(''transaction_isolation'') = ''read committed''
        and pg_current_xact_id() = pg_snapshot_xmax(pg_current_snapshot())
        and not exists (select 1 from pg_snapshot_xip(pg_current_snapshot()) as x where pg_xact_status(x) = ''committed'') then exists (select 1 from "tax_rates" as h
      where h."state_id" = $1[1]::text::integer and h."tax_type" = $1[2]::text and h."system" && tsrange(bitemporal.system_time(), null, ''()'')
        and (lower(h."system") > bitemporal.system_time() or (not upper_inf(h."system") and upper(h."system") > bitemporal.system_time())))
        else "tax_rates_changed_after"($1[1]::text::integer, $1[2]::text, bitemporal.system_time(), daterange($1[3]::text::date, $1[3]::text::date, ''[]''), count(*), array_agg(f.bt$row)) end then ''changed''
      when count(*) = 0 then ''not_found''
      else ''ok'' end as state,
    count(*) filter (where f.bt$changes and f."effective" && (select p.bt$range from portion p) and not f.bt$own) as closing,
    -- Typed, so that both variants take the same parameters; null here.
    $1[4]::text::timestamptz as bt$expect
  from found f
),
closed as (
  update "tax_rates" as t set "system" = tsrange(lower(t."system"), bitemporal.system_time(), ''[)'')
  from found l
  where t.ctid = l.bt$row and l.bt$changes and l."effective" && (select p.bt$range from portion p) and not l.bt$own and (select v.state = ''ok'' from verdict v)
  returning l.*
),
inserted as (
  insert into "tax_rates" ("state_id", "tax_type", "rate", "effective")
  select n.*
  from (
  select c."state_id", c."tax_type", c."rate", c."effective" * daterange(null, lower((select p.bt$range from portion p)), ''[)'') from closed c where lower(c."effective") < lower((select p.bt$range from portion p))
  union all
  select c."state_id", c."tax_type", c."rate", c."effective" * daterange(upper((select p.bt$range from portion p)), null, ''[)'') from closed c where not upper_inf((select p.bt$range from portion p)) and (upper_inf(c."effective") or upper(c."effective") > upper((select p.bt$range from portion p)))
  union all
  select c."state_id", c."tax_type", c.bt$new_0, c."effective" from closed c
  ) as n ("state_id", "tax_type", "rate", bt$range)
  where (select v.state = ''ok'' from verdict v) and not isempty(n.bt$range)
  returning 1
)
select
  -- A close that met its row changed after all (by a writer that bypassed the
  -- key''s lock) skipped it: raise rather than write around it.
  case when v.state in (''busy'', ''stale'', ''changed'') or (v.state = ''ok'' and r.closed <> v.closing)
    then bitemporal.raise_concurrent_write(''correct on "tax_rates"'', case when v.state = ''busy'' then hash_record_extended(row(''"tax_rates"''::regclass::oid, $1[1]::text::integer, $1[2]::text), 0) end)::text end as retry,
  -- Text only: the caller''s pg type parsers must not change what the library reads.
  case when v.state in (''outdated'', ''overlapping'', ''not_found'') then v.state else ''done'' end as outcome,
  r.replaced::text as closed,
  i.inserted::text as inserted,
  bitemporal.format_system_time(bitemporal.system_time()) as system_time
from verdict v,
  (select count(*) as replaced, count(*) filter (where not c.bt$own) as closed from closed c) as r,
  (select count(*) as inserted from inserted) as i', array[$1::text, $2::text, $3::text, $4::text, $5::text, $6::text]) end as bt$result
  from verdict v
)
select
  -- A close that met its row changed after all (by a writer that bypassed the
  -- key's lock) skipped it: raise rather than write around it.
  case when v.state in ('busy', 'stale', 'changed') or (v.state = 'ok' and r.closed <> v.closing)
    then bitemporal.raise_concurrent_write('correct on "tax_rates"', case when v.state = 'busy' then hash_record_extended(row('"tax_rates"'::regclass::oid, $1::text::integer, $2::text), 0) end)::text end as retry,
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
