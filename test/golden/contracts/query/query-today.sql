-- contracts.query().selectAll(): valid now, current knowledge
-- compiled by Kysely (PostgresQueryCompiler), as `.compile().sql`
-- regenerate: npm run golden
select * from "contracts" where (upper_inf("contracts"."system") and "contracts"."effective" @> now())
