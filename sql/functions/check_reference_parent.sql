-- Deferred, after update or delete of a current row of the parent.
-- Arguments: child table, child columns, parent columns, child key columns
-- (comma-separated), child effective and system columns, parent effective
-- and system columns, 'restrict' or 'cascade', and for an audited child its
-- four audit columns (recorded_by, recorded_reason, closed_by, closed_reason).
--
-- restrict: raise if a current child version is no longer covered.
-- cascade: end the children's validity over the uncovered part, as a
-- repository delete for that portion would: close each uncovered version
-- (delete it if this transaction inserted it) and insert its covered
-- pieces again. Audited children record the parent close's closed_by (or
-- 'bitemporal') and a reason naming the parent.
create or replace function bitemporal.check_reference_parent() returns trigger
language plpgsql
as $$
declare
  child constant regclass := TG_ARGV[0]::regclass;
  child_columns constant text[] := string_to_array(TG_ARGV[1], ',');
  parent_columns constant text[] := string_to_array(TG_ARGV[2], ',');
  key_columns constant text[] := string_to_array(TG_ARGV[3], ',');
  child_effective constant text := TG_ARGV[4];
  child_system constant text := TG_ARGV[5];
  audited constant boolean := TG_NARGS > 9;
  parent_value jsonb;
  child_value jsonb;
  child_match text;
  problems text[];
  actor text;
  reason text;
  overrides jsonb := '{}';
  uncovered record;
begin
  select jsonb_object_agg(p, to_jsonb(OLD) -> p), jsonb_object_agg(c, to_jsonb(OLD) -> p),
         string_agg(format('c.%1$I = (jsonb_populate_record(null::%2$s, $1)).%1$I', c, child), ' and ')
    into parent_value, child_value, child_match
    from unnest(parent_columns, child_columns) as u (p, c);
  if TG_ARGV[8] = 'cascade' then
    -- Wait for writers of these children first, so that what follows reads
    -- (in a new snapshot) the versions they committed.
    execute format('select 1 from %s as c where %s and upper_inf(c.%I) for update of c', child, child_match, child_system)
      using child_value;
    if audited then
      actor := coalesce(case when TG_OP = 'UPDATE' then to_jsonb(NEW) ->> 'closed_by' end, 'bitemporal');
      reason := format('cascade: %s %s ended', TG_TABLE_NAME, bitemporal.describe_key(parent_columns, parent_value));
      overrides := jsonb_build_object(TG_ARGV[9], actor, TG_ARGV[10], reason, TG_ARGV[11], null, TG_ARGV[12], null);
    end if;
    for uncovered in
      select * from bitemporal.reference_uncovered(child, child_columns, child_effective, child_system,
                                                   TG_RELID::regclass, parent_columns, TG_ARGV[6], TG_ARGV[7], child_value)
    loop
      -- A version that a transaction which started after this one committed
      -- cannot be closed at this transaction's earlier time: its system range
      -- would end before it began. Run again, after it (40001, retried).
      if not uncovered.own and lower((uncovered.child_row ->> child_system)::tsrange) >= bitemporal.system_time() then
        perform bitemporal.raise_concurrent_write(
          format('cascade from %I.%I to %s', TG_TABLE_SCHEMA, TG_TABLE_NAME, child), null);
      end if;
      if uncovered.own then
        execute format('delete from %s as c where c.ctid = $1', child) using uncovered.row_id;
      elsif audited then
        execute format('update %s as c set %I = tsrange(lower(c.%I), bitemporal.system_time(), ''[)''), %I = $2, %I = $3 where c.ctid = $1',
                       child, child_system, child_system, TG_ARGV[11], TG_ARGV[12])
          using uncovered.row_id, actor, reason;
      else
        execute format('update %s as c set %I = tsrange(lower(c.%I), bitemporal.system_time(), ''[)'') where c.ctid = $1',
                       child, child_system, child_system)
          using uncovered.row_id;
      end if;
      execute format(
        'insert into %1$s select (jsonb_populate_record(null::%1$s, $1 || jsonb_build_object(%2$L, piece, %3$L, tsrange(bitemporal.system_time(), null, ''[)'')) || $2)).*
         from unnest($3::text[]) as piece',
        child, child_effective, child_system)
        using uncovered.child_row, overrides, uncovered.kept;
    end loop;
    return null;
  end if;
  select array_agg(format('%s valid over %s would not be covered over %s',
                          bitemporal.describe_key(key_columns, u.child_row), u.child_row ->> child_effective, u.uncovered))
    into problems
    from bitemporal.reference_uncovered(child, child_columns, child_effective, child_system,
                                        TG_RELID::regclass, parent_columns, TG_ARGV[6], TG_ARGV[7], child_value) as u;
  if problems is not null then
    raise exception using
      errcode = 'BT002',
      message = format('bitemporal: reference from %s to %I.%I violated: %I.%I %s no longer covers its children in %s: %s',
                       child, TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_TABLE_SCHEMA, TG_TABLE_NAME,
                       bitemporal.describe_key(parent_columns, parent_value), child,
                       array_to_string(problems[1:5], '; ') || case when cardinality(problems) > 5 then format(' (and %s more)', cardinality(problems) - 5) else '' end),
      hint = 'End or shorten the children first (in the same transaction), or declare the reference with onParentDelete: ''cascade''.';
  end if;
  return null;
end
$$;
