-- taxRates.query({ validAt: '2023-05-01', knownAt: '2023-10-17T09:30:00Z' }).selectAll()
-- compiled by Kysely (PostgresQueryCompiler), as `.compile().sql`
-- regenerate: npm run golden
select * from "tax_rates" where ("tax_rates"."system" @> ($1::text::timestamptz at time zone 'UTC') and "tax_rates"."effective" @> $2::text::date)
