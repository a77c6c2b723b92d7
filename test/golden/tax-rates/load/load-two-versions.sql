-- repo.load(versions), one batch of two versions
-- plain table "tax_rates": key state_id integer + tax_type text, value rate numeric, date valid time
-- loadSql(context, 2)
-- regenerate: npm run golden
-- bitemporal load of 2 versions into "tax_rates"
with inserted as (
  insert into "tax_rates" ("state_id", "tax_type", "rate", "effective")
  select v.k0, v.k1, case when v.p0 then v.v0 else null end, daterange(v.effective_from, v.effective_to, '[)')
  from (values
    ($1::text::integer, $2::text, $3::text::boolean, $4::text::numeric, $5::text::date, $6::text::date),
    ($7::text::integer, $8::text, $9::text::boolean, $10::text::numeric, $11::text::date, $12::text::date)
  ) as v (k0, k1, p0, v0, effective_from, effective_to)
  returning 1
)
select (select count(*) from inserted)::text as inserted,
  bitemporal.format_system_time(bitemporal.system_time()) as system_time
