-- repo.timeline(key, { from, to, knownAt })
-- plain table "tax_rates": key state_id integer + tax_type text, value rate numeric, date valid time
-- timelineStatements(context).windowKnown
-- regenerate: npm run golden
select t."state_id"::text as k0, t."tax_type"::text as k1, t."rate"::text as v0, to_char(lower(t."effective" * daterange($3::text::date, $4::text::date, '[)')), 'YYYY-MM-DD') as effective_from, to_char(upper(t."effective" * daterange($3::text::date, $4::text::date, '[)')), 'YYYY-MM-DD') as effective_to, bitemporal.format_system_time(lower(t."system")) as system_from, bitemporal.format_system_time(upper(t."system")) as system_to
from "tax_rates" as t
where t."state_id" = $1::text::integer and t."tax_type" = $2::text
  and t."system" @> ($5::text::timestamptz at time zone 'UTC')
  and lower(t."effective") < coalesce($4::text::date, 'infinity')
  and t."effective" && daterange($3::text::date, $4::text::date, '[)')
order by lower(t."effective")
