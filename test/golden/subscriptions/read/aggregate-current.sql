-- repo.aggregate({ validFrom: '2024-01-01', validTo: '2025-01-01', where: (eb) => eb('status', '=', 'active'), count: true, sum: 'mrr', groupBy: 'plan' })
-- subscriptions: key id integer, values plan text, status text, mrr numeric(10,2); the window's ends are literals (decision 159)
-- regenerate: npm run golden
-- bitemporal aggregate on "subscriptions"
with bt$versions as (
  (select t."plan" as "plan", t."effective" as "bt$effective", t."mrr"::numeric as "bt$amount" from "subscriptions" as "t" where upper_inf(t."system") and t."effective" && daterange('2024-01-01'::date, '2025-01-01'::date, '[)') and "status" = $1)
),
bt$ranges as (
  select v."plan", v.bt$effective, count(*) as bt$versions, sum(v.bt$amount) as bt$amount
  from bt$versions as v
  group by v."plan", v.bt$effective
),
bt$periods as (
  select r."plan", lower(r.bt$effective * daterange('2024-01-01'::date, '2025-01-01'::date, '[)')) as bt$starts, upper(r.bt$effective * daterange('2024-01-01'::date, '2025-01-01'::date, '[)')) as bt$ends, r.bt$versions, r.bt$amount
  from bt$ranges as r
),
bt$points as (
  select v."plan", e.bt$at, sum(e.bt$change) as bt$change, sum(e.bt$amount) as bt$amount
  from bt$periods as v
  cross join lateral (values (v.bt$starts, v.bt$versions, v.bt$amount), (v.bt$ends, -v.bt$versions, -v.bt$amount), ('2024-01-01'::date, 0, 0)) as e(bt$at, bt$change, bt$amount)
  group by v."plan", e.bt$at
),
bt$steps as (
  select p."plan", p.bt$at as bt$starts, coalesce(lead(p.bt$at) over w, '2025-01-01'::date) as bt$ends,
         sum(p.bt$change) over w as bt$count, coalesce(sum(p.bt$amount) over w, 0) as bt$sum
  from bt$points as p
  window w as (partition by p."plan" order by p.bt$at)
),
bt$neighbours as (
  select s.*, lag(s.bt$count) over w as bt$previous_count, lag(s.bt$sum) over w as bt$previous_sum
  from bt$steps as s
  where s.bt$starts < '2025-01-01'::date
  window w as (partition by s."plan" order by s.bt$starts)
),
bt$islands as (
  select n.*, count(*) filter (where n.bt$previous_count is distinct from n.bt$count or n.bt$previous_sum is distinct from n.bt$sum) over (partition by n."plan" order by n.bt$starts) as bt$island
  from bt$neighbours as n
)
select i."plan"::text as group_value, to_char(min(i.bt$starts), 'YYYY-MM-DD') as effective_from, to_char(max(i.bt$ends), 'YYYY-MM-DD') as effective_to, i.bt$count::text as count, round(i.bt$sum, 2)::text as sum
from bt$islands as i
group by i."plan", i.bt$island, i.bt$count, i.bt$sum
order by i."plan", min(i.bt$starts)
