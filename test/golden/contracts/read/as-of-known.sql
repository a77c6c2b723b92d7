-- repo.asOf(key, { validAt, knownAt })
-- audited table "contracts" with an entity table and a reference to "customers": key contract_id integer, values customer_id integer + fee numeric, timestamp valid time
-- readStatements(context).asOfKnown
-- regenerate: npm run golden
select t."contract_id"::text as k0, t."customer_id"::text as v0, t."fee"::text as v1, to_char(lower(t."effective") at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as effective_from, to_char(upper(t."effective") at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as effective_to, bitemporal.format_system_time(lower(t."system")) as system_from, bitemporal.format_system_time(upper(t."system")) as system_to, t."recorded_by" as recorded_by, t."recorded_reason" as recorded_reason, t."closed_by" as closed_by, t."closed_reason" as closed_reason
from "contracts" as t
where t."contract_id" = $1::text::integer
  and t."effective" @> coalesce($2::text::timestamptz, now())
  and t."system" @> ($3::text::timestamptz at time zone 'UTC')
