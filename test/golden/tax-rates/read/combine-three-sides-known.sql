-- combineTimelines({ sides: [incomes, taxRates, exemptions], from, to, knownAt }): exemptions is key person_id integer, value share numeric
-- combineSidesSql([incomes, taxRates, exemptions], true)
-- regenerate: npm run golden
-- bitemporal combineTimelines of "incomes", "tax_rates" and "exemptions"
select s0."monthly"::text as s0_0, s1."rate"::text as s1_0, s2."share"::text as s2_0, to_char(lower(s0."effective" * s1."effective" * s2."effective" * daterange($5::text::date, $6::text::date, '[)')), 'YYYY-MM-DD') as effective_from, to_char(upper(s0."effective" * s1."effective" * s2."effective" * daterange($5::text::date, $6::text::date, '[)')), 'YYYY-MM-DD') as effective_to
from "incomes" as s0
join "tax_rates" as s1 on s0."effective" && s1."effective"
join "exemptions" as s2 on s0."effective" && s2."effective" and s1."effective" && s2."effective"
where s0."person_id" = $1::text::integer and s0."system" @> ($7::text::timestamptz at time zone 'UTC') and lower(s0."effective") < coalesce($6::text::date, 'infinity') and s0."effective" && daterange($5::text::date, $6::text::date, '[)')
  and s1."state_id" = $2::text::integer and s1."tax_type" = $3::text and s1."system" @> ($7::text::timestamptz at time zone 'UTC') and lower(s1."effective") < coalesce($6::text::date, 'infinity') and s1."effective" && daterange($5::text::date, $6::text::date, '[)')
  and s2."person_id" = $4::text::integer and s2."system" @> ($7::text::timestamptz at time zone 'UTC') and lower(s2."effective") < coalesce($6::text::date, 'infinity') and s2."effective" && daterange($5::text::date, $6::text::date, '[)')
order by lower(s0."effective" * s1."effective" * s2."effective" * daterange($5::text::date, $6::text::date, '[)'))
