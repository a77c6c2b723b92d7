-- streamQuery(trx, taxRates.query({ validAt: 'any' }).selectAll(), { batchSize: 1000 }) inside a transaction: every statement sent, in order
-- cursorBatches (src/read/cursor-batches.ts)
-- regenerate: npm run golden
begin;

select current_setting('cursor_tuple_fraction') as previous, set_config('cursor_tuple_fraction', '1', true);

declare "bitemporal_cursor_2" no scroll cursor for select * from "tax_rates" where (upper_inf("tax_rates"."system"));

select set_config('cursor_tuple_fraction', $1::text, true);

fetch forward 1000 from "bitemporal_cursor_2";

close "bitemporal_cursor_2";

commit;
