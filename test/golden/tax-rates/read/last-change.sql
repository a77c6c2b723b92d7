-- the system time of the key's last change (a write's `expect` when it changes nothing)
-- plain table "tax_rates": key state_id integer + tax_type text, value rate numeric, date valid time
-- readStatements(context).lastChange
-- regenerate: npm run golden
select bitemporal.format_system_time(max(greatest(lower(t."system"), upper(t."system")))) as system_time
from "tax_rates" as t
where t."state_id" = $1::text::integer and t."tax_type" = $2::text
