-- repo.diff({ before, after?, validFrom?, validTo? })
-- diffStatements(context).all
-- regenerate: npm run golden
-- bitemporal diff on "contracts"
with changed as (
  select t."contract_id" from "contracts" as t
  where lower(t."system") > ($1::text::timestamptz at time zone 'UTC') and lower(t."system") <= coalesce(($2::text::timestamptz at time zone 'UTC'), 'infinity')
  union
  select t."contract_id" from "contracts" as t
  where not upper_inf(t."system") and upper(t."system") > ($1::text::timestamptz at time zone 'UTC') and upper(t."system") <= coalesce(($2::text::timestamptz at time zone 'UTC'), 'infinity')
),
versions as (
  select r.* from changed as c
  cross join lateral (
    select t."contract_id" as key_0, (t.*)::"contracts" as v, t."effective" * tstzrange($3::text::timestamptz, $4::text::timestamptz, '[)') as clamped,
           t."system" @> ($1::text::timestamptz at time zone 'UTC') as at_before, t."system" @> coalesce(($2::text::timestamptz at time zone 'UTC'), 'infinity') as at_after
    from "contracts" as t
    where t."contract_id" = c."contract_id"
      and t."system" && tsrange(($1::text::timestamptz at time zone 'UTC'), coalesce(($2::text::timestamptz at time zone 'UTC'), 'infinity'), '[]') and t."effective" && tstzrange($3::text::timestamptz, $4::text::timestamptz, '[)')
    offset 0
  ) as r
),
points as (
  select x.key_0, lower(x.clamped) as point from versions as x where x.at_before or x.at_after
  union
  select x.key_0, coalesce(upper(x.clamped), 'infinity') from versions as x where x.at_before or x.at_after
),
pieces as (
  select p.key_0, p.point, lead(p.point) over (partition by p.key_0 order by p.point) as piece_to
  from points as p
),
compared as (
  select p.key_0, p.point as piece_from, p.piece_to, b.v as before, a.v as after,
         b.clamped is not null as before_present, a.clamped is not null as after_present
  from pieces as p
  left join versions as b on b.at_before and b.key_0 = p.key_0 and b.clamped @> p.point
  left join versions as a on a.at_after and a.key_0 = p.key_0 and a.clamped @> p.point
  where p.piece_to is not null
),
different as (
  select c.* from compared as c
  where c.before_present <> c.after_present or (c.before_present and c.after_present and ((c.before)."customer_id"::text is distinct from ((c.after)."customer_id")::text or (c.before)."fee"::text is distinct from ((c.after)."fee")::text))
),
neighbours as (
  select d.*, lag(d.piece_to) over w as previous_piece_to, lag(d.before) over w as previous_before, lag(d.after) over w as previous_after, lag(d.before_present) over w as previous_before_present, lag(d.after_present) over w as previous_after_present
  from different as d
  window w as (partition by d.key_0 order by d.piece_from)
),
islands as (
  select n.*,
         count(*) filter (where n.previous_piece_to is distinct from n.piece_from
           or n.previous_before_present is distinct from n.before_present or n.previous_after_present is distinct from n.after_present
           or ((n.before)."customer_id"::text is distinct from ((n.previous_before)."customer_id")::text or (n.before)."fee"::text is distinct from ((n.previous_before)."fee")::text) or ((n.after)."customer_id"::text is distinct from ((n.previous_after)."customer_id")::text or (n.after)."fee"::text is distinct from ((n.previous_after)."fee")::text))
           over (partition by n.key_0 order by n.piece_from) as island
  from neighbours as n
),
merged as (
  select i.key_0, i.island, min(i.piece_from) as piece_from, max(i.piece_to) as piece_to,
         (array_agg(i.before order by i.piece_from))[1] as before, (array_agg(i.after order by i.piece_from))[1] as after,
         bool_or(i.before_present) as before_present, bool_or(i.after_present) as after_present,
         (array_agg(case when i.before_present then i.before else i.after end order by i.piece_from))[1] as whole
  from islands as i
  group by i.key_0, i.island
),
events as (
  select x.key_0, x.clamped, lower((x.v)."system") as at, (x.v)."recorded_by" as actor, (x.v)."recorded_reason" as reason
  from versions as x where lower((x.v)."system") > ($1::text::timestamptz at time zone 'UTC') and lower((x.v)."system") <= coalesce(($2::text::timestamptz at time zone 'UTC'), 'infinity')
  union all
  select x.key_0, x.clamped, upper((x.v)."system"), (x.v)."closed_by", (x.v)."closed_reason"
  from versions as x where not upper_inf((x.v)."system") and upper((x.v)."system") > ($1::text::timestamptz at time zone 'UTC') and upper((x.v)."system") <= coalesce(($2::text::timestamptz at time zone 'UTC'), 'infinity')
),
audits as (
  select m.key_0, m.island,
         json_agg(json_build_object('systemTime', bitemporal.format_system_time(e.at), 'actor', e.actor, 'reason', e.reason) order by e.at, e.actor, e.reason) as audit
  from merged as m
  join events as e on e.key_0 = m.key_0 and e.clamped && tstzrange(m.piece_from, m.piece_to, '[)')
  group by m.key_0, m.island
)
select (m.whole)."contract_id"::text as k0, (m.before)."customer_id"::text as b0, (m.before)."fee"::text as b1, (m.after)."customer_id"::text as a0, (m.after)."fee"::text as a1, m.before_present::text as before_present, m.after_present::text as after_present, to_char(m.piece_from at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as effective_from, to_char(nullif(m.piece_to, 'infinity') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as effective_to, u.audit::text as audit
from merged as m
left join audits as u on u.key_0 = m.key_0 and u.island = m.island
order by m.key_0, m.piece_from
