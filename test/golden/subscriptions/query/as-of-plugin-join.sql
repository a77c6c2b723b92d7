-- asOfPlugin({ tables: [subscriptions, customers, plans], validAt: '2024-03-01', knownAt: '2024-04-02T00:00:00Z' }) on subscriptions as s inner join customers as c left join plans as p
-- compiled by Kysely (PostgresQueryCompiler), as `.compile().sql`
-- regenerate: npm run golden
select "c"."name", "p"."tier" from "subscriptions" as "s" inner join "customers" as "c" on "c"."id" = "s"."customer_id" and ("c"."system" @> ($1::text::timestamptz at time zone 'UTC') and "c"."effective" @> $2::text::date) left join "plans" as "p" on "p"."id" = "s"."plan_id" and ("p"."system" @> ($3::text::timestamptz at time zone 'UTC') and "p"."effective" @> $4::text::date) where ("s"."system" @> ($5::text::timestamptz at time zone 'UTC') and "s"."effective" @> $6::text::date)
