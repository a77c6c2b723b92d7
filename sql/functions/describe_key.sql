-- `(contract_id)=(7)` for the key columns of a row as jsonb.
create or replace function bitemporal.describe_key(key_columns text[], row_image jsonb) returns text
language sql immutable
as $$
  select format('(%s)=(%s)', string_agg(quote_ident(k), ', ' order by n), string_agg(coalesce(row_image ->> k, 'null'), ', ' order by n))
  from unnest(key_columns) with ordinality as u (k, n)
$$;
