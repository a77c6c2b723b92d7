-- Lets `grantee` erase: EXECUTE on bitemporal.erase and SELECT on the
-- erasure record. For the roles the owner chooses (revoked from PUBLIC in 0005).
create or replace function bitemporal.grant_eraser(grantee regrole) returns void
language plpgsql
as $$
begin
  execute format('grant usage on schema bitemporal to %s', grantee);
  execute format('grant execute on function bitemporal.erase(regclass, jsonb, text, text, text[]) to %s', grantee);
  execute format('grant select on bitemporal.erasure to %s', grantee);
end
$$;
