-- repo.load(versions), one batch of two versions
-- audited table "contracts" with an entity table and a reference to "customers": key contract_id integer, values customer_id integer + fee numeric, timestamp valid time
-- loadSql(context, 2)
-- regenerate: npm run golden
-- bitemporal load of 2 versions into "contracts"
with source as (
  select * from (values
    ($1::text::integer, $2::text::boolean, $3::text::integer, $4::text::boolean, $5::text::numeric, $6::text::timestamptz, $7::text::timestamptz),
    ($8::text::integer, $9::text::boolean, $10::text::integer, $11::text::boolean, $12::text::numeric, $13::text::timestamptz, $14::text::timestamptz)
  ) as v (k0, p0, v0, p1, v1, effective_from, effective_to)
),
entity_rows as (
  insert into "contracts_entity" ("contract_id")
  select distinct v.k0 from source as v
  on conflict do nothing
),
inserted as (
  insert into "contracts" ("contract_id", "customer_id", "fee", "effective", "recorded_by", "recorded_reason")
  select v.k0, case when v.p0 then v.v0 else null end, case when v.p1 then v.v1 else null end, tstzrange(v.effective_from, v.effective_to, '[)'), $15::text, $16::text
  from source as v
  returning 1
)
select (select count(*) from inserted)::text as inserted,
  bitemporal.format_system_time(bitemporal.system_time()) as system_time
