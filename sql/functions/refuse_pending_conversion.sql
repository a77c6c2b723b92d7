-- BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE, for each statement, on a
-- plain table with a resumable conversion pending. Arguments: the
-- conversion's id and the bitemporal table's name.
create or replace function bitemporal.refuse_pending_conversion() returns trigger
language plpgsql
as $$
begin
  raise exception using
    errcode = 'BT003',
    message = format('bitemporal: %s on %I.%I is refused: the table is being converted into %s (conversion %s), and it must not change until the conversion finishes',
                     TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_ARGV[1], TG_ARGV[0]),
    hint = 'Run convertToBitemporal again with the same options (resumable: true) to finish the conversion; then write to the bitemporal table.';
end
$$;
