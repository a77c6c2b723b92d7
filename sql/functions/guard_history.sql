-- BEFORE UPDATE OR DELETE (per row) and BEFORE TRUNCATE: history is never
-- rewritten. The one change allowed is closing a current row: the upper bound
-- of system goes from unbounded to the transaction's system time. Two more
-- things are allowed, both needed by writes:
--
-- 1. A row inserted by the current transaction may be deleted by it. Nobody
--    else has ever seen it, so this removes no history; it is how a second
--    write to the same key in one transaction replaces the first one's rows
--    (closing them would leave the empty system range [T, T)). A row is the
--    transaction's own when its inserting transaction is still in progress:
--    another transaction's uncommitted rows are invisible, so the only rows
--    in progress that a statement can reach are its own transaction's,
--    including those of its subtransactions (savepoints).
--
-- 2. Trigger arguments after the first name columns that a close may fill in
--    (the audit columns closed_by and closed_reason), from null, together with
--    the close and only then.
create or replace function bitemporal.guard_history() returns trigger
language plpgsql
as $$
declare
  system_column constant text := TG_ARGV[0];
  table_name constant text := format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME);
  transaction_time constant timestamp := bitemporal.system_time();
  old_system tsrange;
  new_system tsrange;
  unchanged jsonb;
  rest_unchanged boolean;
  position integer;
begin
  -- The one way past the guard for an UPDATE: a legal erasure in progress.
  -- bitemporal.erase() sets the transaction-local setting bitemporal.erasing
  -- to its erasure record's id. Anybody can set a setting, so it is only a
  -- hint: the check that counts is bitemporal.erasure_allows(), which needs
  -- the owner's identity (inside erase(), a SECURITY DEFINER function) and an
  -- erasure record of this transaction for this table.
  if TG_OP = 'UPDATE' and coalesce(current_setting('bitemporal.erasing', true), '') <> ''
     and bitemporal.erasure_allows(TG_RELID, to_jsonb(OLD), to_jsonb(NEW)) then
    return NEW;
  end if;
  if TG_OP = 'DELETE' then
    old_system := (to_jsonb(OLD) ->> system_column)::tsrange;
    if lower(old_system) = transaction_time and upper_inf(old_system)
       and bitemporal.is_own_row(OLD.xmin) then
      return OLD;
    end if;
  end if;
  if TG_OP <> 'UPDATE' then
    raise exception using
      errcode = 'BT001',
      message = format('bitemporal: %s on %s is not allowed: history is never deleted', TG_OP, table_name),
      hint = 'End an entity''s validity with a write (delete for a portion), which closes rows in system time.';
  end if;

  -- *= compares the stored images, so even 1.0 -> 1.00 counts as a change;
  -- comparing whole rows also covers columns added to the table later.
  if system_column = 'system' and TG_NARGS = 1 then
    -- The usual case, without the detour through jsonb: compare the rows
    -- with NEW's system set aside for a moment.
    old_system := OLD.system;
    new_system := NEW.system;
    NEW.system := old_system;
    rest_unchanged := NEW *= OLD;
    NEW.system := new_system;
  else
    old_system := (to_jsonb(OLD) ->> system_column)::tsrange;
    new_system := (to_jsonb(NEW) ->> system_column)::tsrange;
    -- What must not change: everything but system and the columns a close fills in.
    unchanged := jsonb_build_object(system_column, old_system);
    for position in 1 .. TG_NARGS - 1 loop
      if (to_jsonb(OLD) -> TG_ARGV[position]) <> 'null'::jsonb
         and (to_jsonb(OLD) -> TG_ARGV[position]) is distinct from (to_jsonb(NEW) -> TG_ARGV[position]) then
        raise exception using
          errcode = 'BT001',
          message = format('bitemporal: UPDATE of %s would change %I, which was already recorded', table_name, TG_ARGV[position]);
      end if;
      unchanged := unchanged || jsonb_build_object(TG_ARGV[position], to_jsonb(OLD) -> TG_ARGV[position]);
    end loop;
    rest_unchanged := jsonb_populate_record(NEW, unchanged) *= OLD;
  end if;
  if not rest_unchanged then
    raise exception using
      errcode = 'BT001',
      message = format('bitemporal: UPDATE of %s may change only %I: versions are immutable', table_name, system_column),
      hint = 'Write a new version instead of editing one (the repository''s set, update or correct).';
  end if;
  if not upper_inf(old_system) then
    raise exception using
      errcode = 'BT001',
      message = format('bitemporal: UPDATE of %s would change a closed row (system %s): a row is closed once, for good',
                       table_name, old_system);
  end if;
  if isempty(new_system) or lower(new_system) is distinct from lower(old_system)
     or not lower_inc(new_system) or upper_inc(new_system) or upper_inf(new_system) then
    raise exception using
      errcode = 'BT001',
      message = format('bitemporal: UPDATE of %s may only close %I: from %s to [lower, transaction time), got %s',
                       table_name, system_column, old_system, new_system),
      hint = format('Set %I = tsrange(lower(%I), bitemporal.system_time()).', system_column, system_column);
  end if;
  if upper(new_system) <> transaction_time then
    raise exception using
      errcode = 'BT001',
      message = format('bitemporal: UPDATE of %s must close rows at the transaction''s system time %s, not at %s',
                       table_name, transaction_time, upper(new_system)),
      hint = format('Set %I = tsrange(lower(%I), bitemporal.system_time()).', system_column, system_column);
  end if;
  return NEW;
end
$$;
