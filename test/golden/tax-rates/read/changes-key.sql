-- repo.changes({ since, until, key }), one key
-- plain table "tax_rates": key state_id integer + tax_type text, value rate numeric, date valid time
-- changesStatements(context).key
-- regenerate: npm run golden
-- bitemporal changes on "tax_rates"
select c.kind, bitemporal.format_system_time(c.at) as system_time, (c.v)."state_id"::text as k0, (c.v)."tax_type"::text as k1, (c.v)."rate"::text as v0, to_char(lower((c.v)."effective"), 'YYYY-MM-DD') as effective_from, to_char(upper((c.v)."effective"), 'YYYY-MM-DD') as effective_to
from (
  select 'asserted' as kind, lower(t."system") as at, (t.*)::"tax_rates" as v
  from "tax_rates" as t
  where lower(t."system") >= ($3::text::timestamptz at time zone 'UTC')
    and lower(t."system") < coalesce(($4::text::timestamptz at time zone 'UTC'), 'infinity')
    and t."state_id" = $1::text::integer and t."tax_type" = $2::text
    and t."system" && tsrange(($3::text::timestamptz at time zone 'UTC'), ($4::text::timestamptz at time zone 'UTC'), '[)')
  union all
  select 'retracted', upper(t."system"), (t.*)::"tax_rates"
  from "tax_rates" as t
  where not upper_inf(t."system")
    and upper(t."system") >= ($3::text::timestamptz at time zone 'UTC')
    and upper(t."system") < coalesce(($4::text::timestamptz at time zone 'UTC'), 'infinity')
    and t."state_id" = $1::text::integer and t."tax_type" = $2::text
    and t."system" && tsrange(($3::text::timestamptz at time zone 'UTC') - interval '1 microsecond', ($4::text::timestamptz at time zone 'UTC'), '[)')
) as c
order by c.at, (c.v)."state_id", (c.v)."tax_type", lower((c.v)."effective"), c.kind = 'asserted', upper((c.v)."effective")
