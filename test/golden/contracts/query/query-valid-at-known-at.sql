-- contracts.query({ validAt: '2023-05-01T12:00:00Z', knownAt: '2023-10-17T09:30:00Z' }).selectAll()
-- compiled by Kysely (PostgresQueryCompiler), as `.compile().sql`
-- regenerate: npm run golden
select * from "contracts" where ("contracts"."system" @> ($1::text::timestamptz at time zone 'UTC') and "contracts"."effective" @> $2::text::timestamptz)
