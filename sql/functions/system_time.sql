-- The system time of the current transaction, in UTC whatever the session's
-- TimeZone. now() is fixed for a whole transaction, which is what gives every
-- row one transaction inserts or closes the same instant.
create or replace function bitemporal.system_time() returns timestamp
language sql stable parallel safe
as $$ select now() at time zone 'UTC' $$;
