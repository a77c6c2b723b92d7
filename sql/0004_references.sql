-- bitemporal library schema, version 0004: temporal references.
--
-- A child table's reference to a parent table holds when, in current
-- knowledge (rows whose system range is unbounded), every child version's
-- effective range lies inside the union of the parent's current effective
-- ranges for the referenced key. createTable installs two deferred
-- constraint triggers per reference, one on each table, calling the
-- functions below with the tables and columns as trigger arguments:
--
--   on the child,  after insert:           check_reference_child
--   on the parent, after update or delete: check_reference_parent
--
-- Both run at commit, so a transaction may change parent and child in any
-- order, and both check the whole referenced key in the state the
-- transaction leaves, not the one row that fired. Violations raise SQLSTATE
-- BT002 (ReferenceViolationError in the library).

-- bitemporal.reference_uncovered: its one definition is sql/functions/reference_uncovered.sql

-- bitemporal.describe_key: its one definition is sql/functions/describe_key.sql

-- bitemporal.check_reference_child: its one definition is sql/functions/check_reference_child.sql

-- bitemporal.check_reference_parent: its one definition is sql/functions/check_reference_parent.sql
