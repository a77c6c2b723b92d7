-- bitemporal library schema, version 0002: what the repository's writes need.

-- bitemporal.raise_concurrent_write: its one definition is sql/functions/raise_concurrent_write.sql

-- bitemporal.format_system_time: its one definition is sql/functions/format_system_time.sql
