-- taxRates.query({ validAt: '2023-05-01' }).selectAll()
-- compiled by Kysely (PostgresQueryCompiler), as `.compile().sql`
-- regenerate: npm run golden
select * from "tax_rates" where (upper_inf("tax_rates"."system") and "tax_rates"."effective" @> $1::text::date)
