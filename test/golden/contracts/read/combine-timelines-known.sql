-- combineTimelines({ left: contracts, right: customers, from, to, knownAt })
-- combineTimelinesSql(contracts, customers, true)
-- regenerate: npm run golden
-- bitemporal combineTimelines of "contracts" and "customers"
select a."customer_id"::text as l0, a."fee"::text as l1, b."name"::text as r0, to_char(lower(a."effective" * b."effective" * tstzrange($3::text::timestamptz, $4::text::timestamptz, '[)')) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as effective_from, to_char(upper(a."effective" * b."effective" * tstzrange($3::text::timestamptz, $4::text::timestamptz, '[)')) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as effective_to
from "contracts" as a
join "customers" as b on a."effective" && b."effective"
where a."contract_id" = $1::text::integer and a."system" @> ($5::text::timestamptz at time zone 'UTC') and lower(a."effective") < coalesce($4::text::timestamptz, 'infinity') and a."effective" && tstzrange($3::text::timestamptz, $4::text::timestamptz, '[)')
  and b."customer_id" = $2::text::integer and b."system" @> ($5::text::timestamptz at time zone 'UTC') and lower(b."effective") < coalesce($4::text::timestamptz, 'infinity') and b."effective" && tstzrange($3::text::timestamptz, $4::text::timestamptz, '[)')
order by lower(a."effective" * b."effective" * tstzrange($3::text::timestamptz, $4::text::timestamptz, '[)'))
