-- combineTimelines({ left: incomes, right: taxRates, from, to }): incomes is key person_id integer, value monthly numeric, date valid time
-- combineTimelinesSql(incomes, taxRates, false)
-- regenerate: npm run golden
-- bitemporal combineTimelines of "incomes" and "tax_rates"
select a."monthly"::text as l0, b."rate"::text as r0, to_char(lower(a."effective" * b."effective" * daterange($4::text::date, $5::text::date, '[)')), 'YYYY-MM-DD') as effective_from, to_char(upper(a."effective" * b."effective" * daterange($4::text::date, $5::text::date, '[)')), 'YYYY-MM-DD') as effective_to
from "incomes" as a
join "tax_rates" as b on a."effective" && b."effective"
where a."person_id" = $1::text::integer and upper_inf(a."system") and lower(a."effective") < coalesce($5::text::date, 'infinity') and a."effective" && daterange($4::text::date, $5::text::date, '[)')
  and b."state_id" = $2::text::integer and b."tax_type" = $3::text and upper_inf(b."system") and lower(b."effective") < coalesce($5::text::date, 'infinity') and b."effective" && daterange($4::text::date, $5::text::date, '[)')
order by lower(a."effective" * b."effective" * daterange($4::text::date, $5::text::date, '[)'))
