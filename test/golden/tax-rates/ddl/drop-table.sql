-- dropTable(db, definition)
-- plain table "tax_rates": key state_id integer + tax_type text, value rate numeric, date valid time
-- dropTableSql(definition)
-- regenerate: npm run golden
do $guard$
declare
  versions bigint;
  entities bigint := 0;
begin
  if coalesce(current_setting('bitemporal.discard_history', true), '') not in ('on', 'true') then
    lock table "tax_rates" in access exclusive mode;
    select count(*) into versions from (select from "tax_rates" limit 1001) as held;
    if versions > 0 or entities > 0 then
      raise exception using
        errcode = 'BT005',
        message = 'bitemporal: refusing to drop ' || '"tax_rates"' || ': ' || 'it holds ' || case when versions > 1000 then 'more than 1000 versions' when versions = 1 then '1 version' else versions || ' versions' end || ': history that dropping the table would destroy. Nothing was dropped.',
        hint = 'Copy the rows elsewhere first if they must be kept. To drop them knowingly, pass { discardHistory: true } to dropTable or dropTableSql, run "bitemporal migrate down --discard-history" (runner.down({ discardHistory: true })), or set bitemporal.discard_history = on in the transaction.';
    end if;
  end if;
end
$guard$;
delete from bitemporal.versioned_table where relation = '"tax_rates"'::regclass;
drop table "tax_rates";
drop function "tax_rates_changed_after";
