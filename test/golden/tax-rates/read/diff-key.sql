-- repo.diff({ before, after?, validFrom?, validTo?, key })
-- diffStatements(context).key
-- regenerate: npm run golden
-- bitemporal diff on "tax_rates"
with versions as (
  select t."state_id" as key_0, t."tax_type" as key_1, (t.*)::"tax_rates" as v, t."effective" * daterange($5::text::date, $6::text::date, '[)') as clamped,
         t."system" @> ($3::text::timestamptz at time zone 'UTC') as at_before, t."system" @> coalesce(($4::text::timestamptz at time zone 'UTC'), 'infinity') as at_after
  from "tax_rates" as t
  where t."state_id" = $1::text::integer and t."tax_type" = $2::text
    and t."system" && tsrange(($3::text::timestamptz at time zone 'UTC'), coalesce(($4::text::timestamptz at time zone 'UTC'), 'infinity'), '[]') and t."effective" && daterange($5::text::date, $6::text::date, '[)')
),
points as (
  select x.key_0, x.key_1, lower(x.clamped) as point from versions as x where x.at_before or x.at_after
  union
  select x.key_0, x.key_1, coalesce(upper(x.clamped), 'infinity') from versions as x where x.at_before or x.at_after
),
pieces as (
  select p.key_0, p.key_1, p.point, lead(p.point) over (partition by p.key_0, p.key_1 order by p.point) as piece_to
  from points as p
),
compared as (
  select p.key_0, p.key_1, p.point as piece_from, p.piece_to, b.v as before, a.v as after,
         b.clamped is not null as before_present, a.clamped is not null as after_present
  from pieces as p
  left join versions as b on b.at_before and b.key_0 = p.key_0 and b.key_1 = p.key_1 and b.clamped @> p.point
  left join versions as a on a.at_after and a.key_0 = p.key_0 and a.key_1 = p.key_1 and a.clamped @> p.point
  where p.piece_to is not null
),
different as (
  select c.* from compared as c
  where c.before_present <> c.after_present or (c.before_present and c.after_present and ((c.before)."rate"::text is distinct from ((c.after)."rate")::text))
),
neighbours as (
  select d.*, lag(d.piece_to) over w as previous_piece_to, lag(d.before) over w as previous_before, lag(d.after) over w as previous_after, lag(d.before_present) over w as previous_before_present, lag(d.after_present) over w as previous_after_present
  from different as d
  window w as (partition by d.key_0, d.key_1 order by d.piece_from)
),
islands as (
  select n.*,
         count(*) filter (where n.previous_piece_to is distinct from n.piece_from
           or n.previous_before_present is distinct from n.before_present or n.previous_after_present is distinct from n.after_present
           or ((n.before)."rate"::text is distinct from ((n.previous_before)."rate")::text) or ((n.after)."rate"::text is distinct from ((n.previous_after)."rate")::text))
           over (partition by n.key_0, n.key_1 order by n.piece_from) as island
  from neighbours as n
),
merged as (
  select i.key_0, i.key_1, i.island, min(i.piece_from) as piece_from, max(i.piece_to) as piece_to,
         (array_agg(i.before order by i.piece_from))[1] as before, (array_agg(i.after order by i.piece_from))[1] as after,
         bool_or(i.before_present) as before_present, bool_or(i.after_present) as after_present,
         (array_agg(case when i.before_present then i.before else i.after end order by i.piece_from))[1] as whole
  from islands as i
  group by i.key_0, i.key_1, i.island
)
select (m.whole)."state_id"::text as k0, (m.whole)."tax_type"::text as k1, (m.before)."rate"::text as b0, (m.after)."rate"::text as a0, m.before_present::text as before_present, m.after_present::text as after_present, to_char(m.piece_from, 'YYYY-MM-DD') as effective_from, to_char(nullif(m.piece_to, 'infinity'), 'YYYY-MM-DD') as effective_to
from merged as m
order by m.key_0, m.key_1, m.piece_from
