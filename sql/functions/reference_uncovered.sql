-- The current child versions that reference `child_value` (child column ->
-- value) and are not covered by the parent's current versions, with the
-- uncovered part and the covered pieces (as text: the range types differ
-- between tables). `own`: inserted by this transaction (such a row is
-- deleted, not closed, by a cascade, as writes do).
create or replace function bitemporal.reference_uncovered(
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
         and bitemporal.is_own_row(c.xmin),
       (multirange(c.%5$I) - covered.m)::text,
       array(select piece::text from unnest(multirange(c.%5$I) * covered.m) as piece order by piece)
     from %6$s as c, covered
     where %7$s and upper_inf(c.%8$I) and not (c.%5$I <@ covered.m)
     order by c.ctid',
    parent_effective, parent, parent_match, parent_system, child_effective, child, child_match, child_system)
  using child_value, parent_value;
end
$$;
