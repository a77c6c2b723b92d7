-- A single write (one outside any transaction of the caller's) whose key's
-- lock was busy: waits its turn for the lock, then runs the write statement
-- again, in a snapshot taken after the lock was granted (decision 148).
--
-- Called from inside the write statement itself, in place of raising
-- SQLSTATE 40001: so a write on a hot key queues on the key's lock in the
-- server, as a plain UPDATE queues on its row lock, instead of failing,
-- coming back from the client and taking the lock across round trips. Its
-- transaction is the statement's own, so its system time is the one the
-- statement began with (one system time per transaction); the statement
-- run here still refuses to build on a version from a transaction that
-- started later, and still checks that the key is as it found it.
--
-- A volatile PL/pgSQL function, because only a volatile function's
-- statements take a fresh snapshot in the middle of a statement (READ
-- COMMITTED). The statement is the table's own: the library passes its
-- text, with every parameter read from `parameters` ($1[n] for the
-- statement's $n). It is prepared once per session, under a name derived
-- from its text, and executed from then on (decision 162): planning it on
-- every call (EXECUTE of the text) was about a quarter of the time a write
-- holds a hot key's lock. The name is checked on each call, so a session
-- whose prepared statements were discarded (DISCARD ALL, DEALLOCATE ALL by
-- a pool) prepares it again. Returns the statement's one result row as
-- text: retry, outcome, closed, inserted, system_time.
create or replace function bitemporal.write_in_turn(key_lock bigint, statement text, parameters text[]) returns text[]
language plpgsql volatile
as $$
declare
  statement_name text := 'bitemporal_in_turn_' || md5(statement);
  retry text;
  outcome text;
  closed text;
  inserted text;
  system_time text;
begin
  perform pg_advisory_xact_lock(key_lock);
  if not exists (select 1 from pg_prepared_statements as p where p.name = statement_name) then
    execute format('prepare %I(text[]) as %s', statement_name, statement);
  end if;
  -- A utility EXECUTE takes no bind parameters: the array goes in as a literal.
  execute format('execute %I(%L::text[])', statement_name, parameters) into strict retry, outcome, closed, inserted, system_time;
  return array[retry, outcome, closed, inserted, system_time];
end
$$;
