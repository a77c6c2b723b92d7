-- taxRates.query({ validAt: 'any' }).selectAll()
-- compiled by Kysely (PostgresQueryCompiler), as `.compile().sql`
-- regenerate: npm run golden
select * from "tax_rates" where (upper_inf("tax_rates"."system"))
