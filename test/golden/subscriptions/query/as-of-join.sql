-- asOf(subscriptions, 's', at) and asOf(customers, 'c', at) with at = { validAt: '2024-03-01', knownAt: '2024-04-02T00:00:00Z' } on subscriptions as s inner join customers as c
-- compiled by Kysely (PostgresQueryCompiler), as `.compile().sql`
-- regenerate: npm run golden
select count(*) as "active" from "subscriptions" as "s" inner join "customers" as "c" on "c"."id" = "s"."customer_id" where ("s"."system" @> ($1::text::timestamptz at time zone 'UTC') and "s"."effective" @> $2::text::date) and ("c"."system" @> ($3::text::timestamptz at time zone 'UTC') and "c"."effective" @> $4::text::date)
