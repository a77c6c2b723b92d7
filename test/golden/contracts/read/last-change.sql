-- the system time of the key's last change (a write's `expect` when it changes nothing)
-- audited table "contracts" with an entity table and a reference to "customers": key contract_id integer, values customer_id integer + fee numeric, timestamp valid time
-- readStatements(context).lastChange
-- regenerate: npm run golden
select bitemporal.format_system_time(max(greatest(lower(t."system"), upper(t."system")))) as system_time
from "contracts" as t
where t."contract_id" = $1::text::integer
