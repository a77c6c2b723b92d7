-- asOfPlugin({ tables: [contracts, customers], validAt: '2024-03-01T00:00:00Z' }) on contracts as c inner join customers as p, left join customers as q
-- compiled by Kysely (PostgresQueryCompiler), as `.compile().sql`
-- regenerate: npm run golden
select "c"."contract_id", "c"."fee", "p"."name" from "contracts" as "c" inner join "customers" as "p" on "p"."customer_id" = "c"."customer_id" and (upper_inf("p"."system") and "p"."effective" @> $1::text::timestamptz) left join "customers" as "q" on "q"."customer_id" = "c"."customer_id" and (upper_inf("q"."system") and "q"."effective" @> $2::text::timestamptz) where "c"."fee" > $3 and (upper_inf("c"."system") and "c"."effective" @> $4::text::timestamptz)
