-- asOfPlugin({ tables: [contracts, customers], validAt: 'any', knownAt: '2024-04-02T00:00:00Z' }) on a join of contracts and customers
-- compiled by Kysely (PostgresQueryCompiler), as `.compile().sql`
-- regenerate: npm run golden
select "contracts".* from "contracts" inner join "customers" on "customers"."customer_id" = "contracts"."customer_id" and ("customers"."system" @> ($1::text::timestamptz at time zone 'UTC')) where ("contracts"."system" @> ($2::text::timestamptz at time zone 'UTC'))
