-- taxRates.streamHistory(key, { batchSize: 2 }) outside a transaction, over three versions: every statement sent, in order
-- cursorBatches (src/read/cursor-batches.ts)
-- regenerate: npm run golden
start transaction read only;

select current_setting('cursor_tuple_fraction') as previous, set_config('cursor_tuple_fraction', '1', true);

declare "bitemporal_cursor_1" no scroll cursor for select t."state_id"::text as k0, t."tax_type"::text as k1, t."rate"::text as v0, to_char(lower(t."effective"), 'YYYY-MM-DD') as effective_from, to_char(upper(t."effective"), 'YYYY-MM-DD') as effective_to, bitemporal.format_system_time(lower(t."system")) as system_from, bitemporal.format_system_time(upper(t."system")) as system_to
from "tax_rates" as t
where t."state_id" = $1::text::integer and t."tax_type" = $2::text
order by lower(t."system"), lower(t."effective");

fetch forward 2 from "bitemporal_cursor_1";

fetch forward 2 from "bitemporal_cursor_1";

fetch forward 2 from "bitemporal_cursor_1";

commit;
