-- repo.asOf(key, { validAt }), current knowledge
-- plain table "tax_rates": key state_id integer + tax_type text, value rate numeric, date valid time
-- readStatements(context).asOfCurrent
-- regenerate: npm run golden
select t."state_id"::text as k0, t."tax_type"::text as k1, t."rate"::text as v0, to_char(lower(t."effective"), 'YYYY-MM-DD') as effective_from, to_char(upper(t."effective"), 'YYYY-MM-DD') as effective_to, bitemporal.format_system_time(lower(t."system")) as system_from, null::text as system_to
from "tax_rates" as t
where t."state_id" = $1::text::integer and t."tax_type" = $2::text
  and upper_inf(t."system")
  and lower(t."effective") <= coalesce($3::text::date, (now() at time zone 'UTC')::date)
  and (upper_inf(t."effective") or upper(t."effective") > coalesce($3::text::date, (now() at time zone 'UTC')::date))
order by lower(t."effective") desc
limit 1
