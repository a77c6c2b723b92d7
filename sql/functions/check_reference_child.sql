-- Deferred, after insert on the child. Arguments: parent table, child
-- columns, parent columns, child key columns (comma-separated), child
-- effective and system columns, parent effective and system columns.
--
-- Concurrency: before reading the parent's coverage, the check locks the
-- parent's current versions of the key FOR SHARE. A transaction that closed
-- one of them (a parent write) holds a row lock that conflicts, so the check
-- waits for it to end; the coverage is then read by a new statement, which
-- in READ COMMITTED takes a new snapshot and sees what that transaction
-- committed (under REPEATABLE READ the lock raises a serialization failure
-- instead). Conversely, a parent write that comes later waits for this
-- transaction's share locks, and its own deferred check then sees the child.
create or replace function bitemporal.check_reference_child() returns trigger
language plpgsql
as $$
declare
  parent constant regclass := TG_ARGV[0]::regclass;
  child_columns constant text[] := string_to_array(TG_ARGV[1], ',');
  parent_columns constant text[] := string_to_array(TG_ARGV[2], ',');
  key_columns constant text[] := string_to_array(TG_ARGV[3], ',');
  child_value jsonb;
  parent_value jsonb;
  parent_match text;
  problems text[];
begin
  select jsonb_object_agg(c, to_jsonb(NEW) -> c), jsonb_object_agg(p, to_jsonb(NEW) -> c),
         string_agg(format('p.%1$I = (jsonb_populate_record(null::%2$s, $1)).%1$I', p, parent), ' and ')
    into child_value, parent_value, parent_match
    from unnest(child_columns, parent_columns) as u (c, p);
  if exists (select 1 from jsonb_each(child_value) as e where e.value = 'null'::jsonb) then
    return null; -- a null reference references nothing (MATCH SIMPLE)
  end if;
  execute format('select 1 from %s as p where %s and upper_inf(p.%I) for share of p', parent, parent_match, TG_ARGV[7])
    using parent_value;
  select array_agg(format('%s valid over %s is not covered over %s',
                          bitemporal.describe_key(key_columns, u.child_row), u.child_row ->> TG_ARGV[4], u.uncovered))
    into problems
    from bitemporal.reference_uncovered(TG_RELID::regclass, child_columns, TG_ARGV[4], TG_ARGV[5],
                                        parent, parent_columns, TG_ARGV[6], TG_ARGV[7], child_value) as u;
  if problems is not null then
    raise exception using
      errcode = 'BT002',
      message = format('bitemporal: reference from %I.%I to %s violated: %s %s is not valid where its child is: %s',
                       TG_TABLE_SCHEMA, TG_TABLE_NAME, parent, parent, bitemporal.describe_key(parent_columns, parent_value),
                       array_to_string(problems[1:5], '; ') || case when cardinality(problems) > 5 then format(' (and %s more)', cardinality(problems) - 5) else '' end),
      hint = 'A child version must lie inside the union of its parent''s current versions; write the parent first, or shorten the child.';
  end if;
  return null;
end
$$;
