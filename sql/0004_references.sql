-- bitemporal library schema, version 0004: temporal references.
--
-- A child table's reference to a parent table holds when, in current
-- knowledge (rows whose system range is unbounded), every child version's
-- effective range lies inside the union of the parent's current effective
-- ranges for the referenced key. createTable installs two deferred
-- constraint triggers per reference, one on each table, calling the
-- functions below with the tables and columns as trigger arguments:
--
--   on the child,  after insert:           check_reference_child
--   on the parent, after update or delete: check_reference_parent
--
-- Both run at commit, so a transaction may change parent and child in any
-- order, and both check the whole referenced key in the state the
-- transaction leaves, not the one row that fired. Violations raise SQLSTATE
-- BT002 (ReferenceViolationError in the library).

-- The current child versions that reference `child_value` (child column ->
-- value) and are not covered by the parent's current versions, with the
-- uncovered part and the covered pieces (as text: the range types differ
-- between tables). `own`: inserted by this transaction (such a row is
-- deleted, not closed, by a cascade, as writes do).
create function bitemporal.reference_uncovered(
  child regclass, child_columns text[], child_effective text, child_system text,
  parent regclass, parent_columns text[], parent_effective text, parent_system text,
  child_value jsonb)
returns table (row_id tid, child_row jsonb, own boolean, uncovered text, kept text[])
language plpgsql
as $$
declare
  parent_value jsonb;
  child_match text;
  parent_match text;
begin
  select jsonb_object_agg(p, child_value -> c),
         string_agg(format('c.%1$I = (jsonb_populate_record(null::%2$s, $1)).%1$I', c, child), ' and '),
         string_agg(format('p.%1$I = (jsonb_populate_record(null::%2$s, $2)).%1$I', p, parent), ' and ')
    into parent_value, child_match, parent_match
    from unnest(parent_columns, child_columns) as u (p, c);
  return query execute format(
    'with covered as (
       select coalesce(range_agg(p.%1$I), ''{}'') as m from %2$s as p where %3$s and upper_inf(p.%4$I))
     select c.ctid, to_jsonb(c),
       lower(c.%8$I) = bitemporal.system_time()
         and pg_xact_status(((pg_current_xact_id()::text::bigint >> 32) << 32 | c.xmin::text::bigint)::text::xid8) = ''in progress'',
       (multirange(c.%5$I) - covered.m)::text,
       array(select piece::text from unnest(multirange(c.%5$I) * covered.m) as piece order by piece)
     from %6$s as c, covered
     where %7$s and upper_inf(c.%8$I) and not (c.%5$I <@ covered.m)
     order by c.ctid',
    parent_effective, parent, parent_match, parent_system, child_effective, child, child_match, child_system)
  using child_value, parent_value;
end
$$;

-- `(contract_id)=(7)` for the key columns of a row as jsonb.
create function bitemporal.describe_key(key_columns text[], row_image jsonb) returns text
language sql immutable
as $$
  select format('(%s)=(%s)', string_agg(quote_ident(k), ', ' order by n), string_agg(coalesce(row_image ->> k, 'null'), ', ' order by n))
  from unnest(key_columns) with ordinality as u (k, n)
$$;

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
create function bitemporal.check_reference_child() returns trigger
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
create function bitemporal.check_reference_parent() returns trigger
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
