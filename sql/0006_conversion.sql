-- bitemporal library schema, version 0006: resumable conversions.
--
-- convertToBitemporal(db, { …, resumable: true }) copies a plain table into a
-- bitemporal one in many transactions, one per batch, so that an interrupted
-- conversion goes on where it stopped instead of starting afresh. This file
-- holds what that needs across transactions:
--
-- * bitemporal.conversion: one row per resumable conversion. The first
--   transaction inserts it (with the checks' results and the page plan), each
--   batch advances it in the batch's own transaction (so the progress
--   recorded is exactly what is committed), the last one sets finished_at.
--   A batch locks the row FOR UPDATE first: two processes resuming at once
--   take turns and never copy a range twice.
-- * bitemporal.refuse_pending_conversion(): the statement trigger the first
--   transaction puts on the plain table, refusing INSERT, UPDATE, DELETE and
--   TRUNCATE until the last transaction drops it. Writers must stay out
--   across commits: the row checks (keys, starts, duplicates) and the page
--   ranges hold only for a table that does not change. SQLSTATE BT003
--   (ConversionPendingError in the library).

create table bitemporal.conversion (
  id bigint generated always as identity primary key,
  -- The plain table: an oid, so it follows the rename to <name>_plain.
  source regclass not null,
  -- Its schema and name when the conversion began: the compatibility view's name.
  source_schema text not null,
  source_name text not null,
  -- The bitemporal table the conversion created; a run again finds its row by it.
  target regclass not null,
  -- The options that shape the copy (from, to's name and columns, effectiveFrom and its
  -- default, effectiveTo, columns, emptyValidity, view, renameSourceTo,
  -- batchSize): a run again must pass the same ones.
  options jsonb not null,
  -- Versions to copy, and rows left out by emptyValidity: 'skip'.
  total bigint not null check (total >= 0),
  skipped bigint not null check (skipped >= 0),
  copied bigint not null default 0 check (copied >= 0 and copied <= total),
  -- The page plan: the plain table's pages at the start, pages per batch, and
  -- the first page of the next batch (the last batch has no upper bound).
  pages integer not null check (pages >= 1),
  batch_pages integer not null check (batch_pages >= 1),
  next_page integer not null default 0 check (next_page >= 0),
  batches integer not null default 0,
  -- The plain table's file at the start: VACUUM FULL, CLUSTER or a rewriting
  -- ALTER TABLE would move its rows to other pages and void the plan.
  source_filenode oid not null,
  -- System times of the first and last batch that copied rows: history as
  -- known before the last one is incomplete.
  first_system_time timestamp,
  last_system_time timestamp,
  started_at timestamp not null default bitemporal.system_time(),
  finished_at timestamp
);
create index conversion_target on bitemporal.conversion (target);
-- The role that converts (the tables' owner, which runs the migrations) owns it.
revoke all on bitemporal.conversion from public;

-- bitemporal.refuse_pending_conversion: its one definition is sql/functions/refuse_pending_conversion.sql
