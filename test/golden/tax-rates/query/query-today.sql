-- taxRates.query().selectAll(): valid today, current knowledge
-- compiled by Kysely (PostgresQueryCompiler), as `.compile().sql`
-- regenerate: npm run golden
select * from "tax_rates" where (upper_inf("tax_rates"."system") and "tax_rates"."effective" @> (now() at time zone 'UTC')::date)
