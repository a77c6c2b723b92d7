-- The transaction's system time as the library's lossless text:
-- ISO 8601 in UTC with microseconds, whatever DateStyle and TimeZone say.
-- Stable, as to_char(timestamp, text) is (the pattern has no
-- locale-dependent fields): PostgreSQL inlines a SQL function only when its
-- body is no more volatile than the function, and inlined it is planned once
-- with the caller instead of parsed again on every call.
create or replace function bitemporal.format_system_time(t timestamp) returns text
language sql stable parallel safe
as $$ select to_char(t, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;
