-- The transaction's system time as the library's lossless text:
-- ISO 8601 in UTC with microseconds, whatever DateStyle and TimeZone say.
create or replace function bitemporal.format_system_time(t timestamp) returns text
language sql stable parallel safe
as $$ select to_char(t, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;
