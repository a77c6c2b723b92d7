-- Raised from inside a write statement when another transaction got in its
-- way (SQLSTATE 40001: the client runs the write or its transaction again).
-- A function, because plain SQL cannot raise. When another transaction holds
-- the key's write lock, it first waits for that transaction to end, so that
-- the retry sees what it wrote instead of spinning. The detail ends with
-- "; key lock <n>", so that the retry queues for that lock before it reads
-- the key (decision 78): PostgreSQL grants a waited-for lock in turn.
create or replace function bitemporal.raise_concurrent_write(detail text, key_lock bigint) returns boolean
language plpgsql
as $$
begin
  if key_lock is not null then
    perform pg_advisory_xact_lock(key_lock);
  end if;
  raise exception using
    errcode = '40001',
    message = 'bitemporal: a concurrent transaction changed the versions this write was about to replace',
    detail = detail || coalesce('; key lock ' || key_lock, ''),
    hint = 'Run the transaction again (the transaction helper does this for you).';
end
$$;
