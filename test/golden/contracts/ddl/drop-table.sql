-- dropTable(db, definition)
-- audited table "contracts" with an entity table and a reference to "customers": key contract_id integer, values customer_id integer + fee numeric, timestamp valid time
-- dropTableSql(definition)
-- regenerate: npm run golden
do $guard$
declare
  versions bigint;
  entities bigint := 0;
begin
  if coalesce(current_setting('bitemporal.discard_history', true), '') not in ('on', 'true') then
    lock table "contracts" in access exclusive mode;
    select count(*) into versions from (select from "contracts" limit 1001) as held;
    lock table "contracts_entity" in access exclusive mode;
    select count(*) into entities from (select from "contracts_entity" limit 1001) as held;
    if versions > 0 or entities > 0 then
      raise exception using
        errcode = 'BT005',
        message = 'bitemporal: refusing to drop ' || '"contracts"' || ': ' || case when versions > 0 then 'it holds ' || case when versions > 1000 then 'more than 1000 versions' when versions = 1 then '1 version' else versions || ' versions' end else 'its entity table ' || '"contracts_entity"' || ' holds ' || case when entities > 1000 then 'more than 1000 entities' when entities = 1 then '1 entity' else entities || ' entities' end end || ': history that dropping the table would destroy. Nothing was dropped.',
        hint = 'Copy the rows elsewhere first if they must be kept. To drop them knowingly, pass { discardHistory: true } to dropTable or dropTableSql, run "bitemporal migrate down --discard-history" (runner.down({ discardHistory: true })), or set bitemporal.discard_history = on in the transaction.';
    end if;
  end if;
end
$guard$;
delete from bitemporal.versioned_table where relation = '"contracts"'::regclass;
drop trigger if exists "contracts_reference_0_parent" on "customers";
drop table "contracts";
drop function "contracts_changed_after";
drop table "contracts_entity";
