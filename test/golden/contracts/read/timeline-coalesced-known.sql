-- repo.timeline(key, { coalesce: true, knownAt })
-- audited table "contracts" with an entity table and a reference to "customers": key contract_id integer, values customer_id integer + fee numeric, timestamp valid time
-- timelineStatements(context).coalescedKnown
-- regenerate: npm run golden
with known as (
  select (t.*)::"contracts" as v, t."effective" * tstzrange($2::text::timestamptz, $3::text::timestamptz, '[)') as clamped
  from "contracts" as t
  where t."contract_id" = $1::text::integer
    and t."system" @> ($4::text::timestamptz at time zone 'UTC')
    and lower(t."effective") < coalesce($3::text::timestamptz, 'infinity')
    and t."effective" && tstzrange($2::text::timestamptz, $3::text::timestamptz, '[)')
),
neighbours as (
  select k.v, k.clamped, lag(k.v) over w as previous, lag(upper(k.clamped)) over w as previous_end
  from known as k
  window w as (order by lower(k.clamped))
),
islands as (
  select n.v, n.clamped,
         count(*) filter (where n.previous_end is distinct from lower(n.clamped) or ((n.v)."customer_id"::text is distinct from ((n.previous)."customer_id")::text or (n.v)."fee"::text is distinct from ((n.previous)."fee")::text))
           over (order by lower(n.clamped)) as island
  from neighbours as n
),
merged as (
  select (array_agg(i.v order by lower(i.clamped)))[1] as v,
         range_merge(range_agg(i.clamped)) as clamped,
         max(lower((i.v)."system")) as system_from,
         min(upper((i.v)."system")) as system_to
  from islands as i
  group by i.island
)
select (m.v)."contract_id"::text as k0, (m.v)."customer_id"::text as v0, (m.v)."fee"::text as v1, to_char(lower(m.clamped) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as effective_from, to_char(upper(m.clamped) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as effective_to, bitemporal.format_system_time(m.system_from) as system_from, bitemporal.format_system_time(m.system_to) as system_to
from merged as m
order by lower(m.clamped)
