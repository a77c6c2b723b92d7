-- Whether the row whose xmin is `row_xmin` was inserted by the current
-- transaction (or one of its subtransactions) and is so not yet seen by any
-- other: its inserting transaction is still in progress. Another
-- transaction's uncommitted rows are invisible, so the only rows in progress
-- that a statement can reach are its own transaction's.
--
-- xmin is a 32-bit xid; pg_xact_status takes a full xid8. The current
-- transaction's epoch (its xid8's upper 32 bits) completes it: a row the
-- transaction can call its own was inserted in that same epoch.
--
-- Used by the history guard (a write may delete its own rows), the
-- references' cascade and the repository's write statement. Plain SQL,
-- volatile (as pg_current_xact_id and pg_xact_status are) and without SET
-- or SECURITY DEFINER: PostgreSQL inlines it into the calling expression, so
-- it costs what the expression written out costs.
create or replace function bitemporal.is_own_row(row_xmin xid) returns boolean
language sql volatile parallel unsafe
as $$
  select pg_xact_status(((pg_current_xact_id()::text::bigint >> 32) << 32 | row_xmin::text::bigint)::text::xid8) = 'in progress'
$$;
