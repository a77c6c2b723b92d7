-- repo.changes({ since, until, key }), one key
-- audited table "contracts" with an entity table and a reference to "customers": key contract_id integer, values customer_id integer + fee numeric, timestamp valid time
-- changesStatements(context).key
-- regenerate: npm run golden
-- bitemporal changes on "contracts"
select c.kind, bitemporal.format_system_time(c.at) as system_time, (c.v)."contract_id"::text as k0, (c.v)."customer_id"::text as v0, (c.v)."fee"::text as v1, to_char(lower((c.v)."effective") at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as effective_from, to_char(upper((c.v)."effective") at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as effective_to, c.actor, c.reason
from (
  select 'asserted' as kind, lower(t."system") as at, (t.*)::"contracts" as v, t."recorded_by" as actor, t."recorded_reason" as reason
  from "contracts" as t
  where lower(t."system") >= ($2::text::timestamptz at time zone 'UTC')
    and lower(t."system") < coalesce(($3::text::timestamptz at time zone 'UTC'), 'infinity')
    and t."contract_id" = $1::text::integer
    and t."system" && tsrange(($2::text::timestamptz at time zone 'UTC'), ($3::text::timestamptz at time zone 'UTC'), '[)')
  union all
  select 'retracted', upper(t."system"), (t.*)::"contracts", t."closed_by" as actor, t."closed_reason" as reason
  from "contracts" as t
  where not upper_inf(t."system")
    and upper(t."system") >= ($2::text::timestamptz at time zone 'UTC')
    and upper(t."system") < coalesce(($3::text::timestamptz at time zone 'UTC'), 'infinity')
    and t."contract_id" = $1::text::integer
    and t."system" && tsrange(($2::text::timestamptz at time zone 'UTC') - interval '1 microsecond', ($3::text::timestamptz at time zone 'UTC'), '[)')
) as c
order by c.at, (c.v)."contract_id", lower((c.v)."effective"), c.kind = 'asserted', upper((c.v)."effective")
