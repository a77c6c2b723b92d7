-- bitemporal library schema, version 0007: format_system_time is inlined.
--
-- 0002 declared format_system_time immutable, but to_char(timestamp, text)
-- is only stable, and PostgreSQL inlines a SQL function only when its body is
-- no more volatile than the function. So every statement that called it ran
-- the function through the SQL-function executor, which parses the body
-- again on each execution of the statement: about a twentieth of a write's
-- server time, and a share of every read that returns system times. Declared
-- stable (which it is: the pattern has no locale-dependent fields), it is
-- inlined into the caller's plan once, when the plan is made.
create or replace function bitemporal.format_system_time(t timestamp) returns text
language sql stable parallel safe
as $$ select to_char(t, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;
