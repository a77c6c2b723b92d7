-- repo.timeline(key, { coalesce: true }), current knowledge
-- plain table "tax_rates": key state_id integer + tax_type text, value rate numeric, date valid time
-- timelineStatements(context).coalescedCurrent
-- regenerate: npm run golden
with known as (
  select (t.*)::"tax_rates" as v, t."effective" * daterange($3::text::date, $4::text::date, '[)') as clamped
  from "tax_rates" as t
  where t."state_id" = $1::text::integer and t."tax_type" = $2::text
    and upper_inf(t."system")
    and lower(t."effective") < coalesce($4::text::date, 'infinity')
    and t."effective" && daterange($3::text::date, $4::text::date, '[)')
),
neighbours as (
  select k.v, k.clamped, lag(k.v) over w as previous, lag(upper(k.clamped)) over w as previous_end
  from known as k
  window w as (order by lower(k.clamped))
),
islands as (
  select n.v, n.clamped,
         count(*) filter (where n.previous_end is distinct from lower(n.clamped) or ((n.v)."rate"::text is distinct from ((n.previous)."rate")::text))
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
select (m.v)."state_id"::text as k0, (m.v)."tax_type"::text as k1, (m.v)."rate"::text as v0, to_char(lower(m.clamped), 'YYYY-MM-DD') as effective_from, to_char(upper(m.clamped), 'YYYY-MM-DD') as effective_to, bitemporal.format_system_time(m.system_from) as system_from, bitemporal.format_system_time(m.system_to) as system_to
from merged as m
order by lower(m.clamped)
