-- bitemporal library schema, version 0008: a write that found its key's lock
-- busy says which lock in the error's detail.
--
-- The write statement raises 40001 after waiting for the transaction that
-- held the key's advisory lock. Running the write again races every other
-- writer of the key for the lock, and on a hot key a writer can lose every
-- race until its retries run out. With the lock's number in the detail
-- ("…; key lock <n>"), the retry can queue for the lock before it reads the
-- key (decision 78), and PostgreSQL grants a waited-for lock in turn.
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
