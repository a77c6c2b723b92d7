-- streamQuery(db, taxRates.query({ validAt: '2023-05-01' }).selectAll(), { batchSize: 5000 }) outside a transaction: every statement sent, in order
-- cursorBatches (src/read/cursor-batches.ts)
-- regenerate: npm run golden
start transaction read only;

select current_setting('cursor_tuple_fraction') as previous, set_config('cursor_tuple_fraction', '1', true);

declare "bitemporal_cursor_3" no scroll cursor for select * from "tax_rates" where (upper_inf("tax_rates"."system") and "tax_rates"."effective" @> $1::text::date);

fetch forward 5000 from "bitemporal_cursor_3";

commit;
