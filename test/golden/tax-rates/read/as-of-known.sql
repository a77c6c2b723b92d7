-- repo.asOf(key, { validAt, knownAt })
-- plain table "tax_rates": key state_id integer + tax_type text, value rate numeric, date valid time
-- readStatements(context).asOfKnown
-- regenerate: npm run golden
select t."state_id"::text as k0, t."tax_type"::text as k1, t."rate"::text as v0, to_char(lower(t."effective"), 'YYYY-MM-DD') as effective_from, to_char(upper(t."effective"), 'YYYY-MM-DD') as effective_to, bitemporal.format_system_time(lower(t."system")) as system_from, bitemporal.format_system_time(upper(t."system")) as system_to
from "tax_rates" as t
where t."state_id" = $1::text::integer and t."tax_type" = $2::text
  and t."effective" @> coalesce($3::text::date, (now() at time zone 'UTC')::date)
  and t."system" @> ($4::text::timestamptz at time zone 'UTC')
