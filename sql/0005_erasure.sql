-- bitemporal library schema, version 0005: erasure.
--
-- Invariant 2 says history is never overwritten. A legal erasure request
-- (GDPR article 17 and the like) is the one exception, and it must be an
-- explicit, audited act of a privileged role, never something a write or a
-- stray UPDATE can do:
--
-- * bitemporal.erase(relation, key, reason, actor, columns) redacts the
--   chosen value columns (default: all) in every version of one key, current
--   and superseded alike, and leaves everything else as it was: the key, the
--   effective and system ranges, the audit columns. The history keeps its
--   shape; only the erased values are gone. A nullable column becomes null;
--   a not-null column its default, or the marker '[erased]' if it is a string
--   type; any other not-null column cannot be erased (an error says so).
-- * Every erasure leaves a row in bitemporal.erasure: which table and key,
--   which columns, why, who (the actor named, and the calling role and login),
--   when (the transaction's system time) and how many versions.
-- * erase() is SECURITY DEFINER: it runs as the role that installed the
--   library (the owner of the tables), so the caller needs no UPDATE right on
--   any table. EXECUTE is revoked from PUBLIC; the owner grants it to a
--   compliance role with bitemporal.grant_eraser(role). The application role
--   (grant_writer) has neither.
-- * The history guard lets the erasure's UPDATE through only when
--   bitemporal.erasure_allows() says so: the current user is the owner of
--   bitemporal.erasure (true inside erase(), false for any application
--   role), an erasure record of this very transaction names the table and
--   the setting bitemporal.erasing holds its id, the row belongs to the
--   erased key, and nothing but the erased columns changes. The setting is a
--   hint anyone can set; the record and the owner's identity are what an
--   application role cannot forge.
-- * While it runs, erase() holds an EXCLUSIVE lock on the table: reads go
--   on, writes wait, so no version of the key can be written concurrently
--   and escape the redaction. It refuses to run in REPEATABLE READ or
--   SERIALIZABLE, whose snapshot could predate versions it must redact.

create table bitemporal.erasure (
  id bigint generated always as identity primary key,
  relation regclass not null,
  -- The key as the table stores it (column -> value), so it is comparable with to_jsonb(row).
  key jsonb not null,
  columns text[] not null,
  reason text not null check (btrim(reason) <> ''),
  actor text not null check (btrim(actor) <> ''),
  -- The role that called erase(): the session's SET ROLE if any, else its login
  -- (inside erase(), current_user is the owner, so it cannot say who asked).
  erased_by text not null default coalesce(nullif(current_setting('role'), 'none'), session_user),
  login text not null default session_user,
  erased_at timestamp not null default bitemporal.system_time(),
  versions integer not null,
  -- Which transaction erased: the guard accepts an erasure only in it.
  erased_in xid8 not null default pg_current_xact_id()
);
revoke all on bitemporal.erasure from public;

-- bitemporal.erasure_allows: its one definition is sql/functions/erasure_allows.sql

-- bitemporal.guard_history: its one definition is sql/functions/guard_history.sql

-- bitemporal.erase: its one definition is sql/functions/erase.sql

-- Erasure is for the roles the owner chooses: a compliance role, not the application.
revoke execute on function bitemporal.erase(regclass, jsonb, text, text, text[]) from public;

-- bitemporal.grant_eraser: its one definition is sql/functions/grant_eraser.sql

revoke execute on function bitemporal.grant_eraser(regrole) from public;
