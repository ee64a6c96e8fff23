-- A source's Bulk Data export in flight, at most one per source (some servers allow one per client).
-- Kept across crashes: the job is polled again rather than started twice, a finished job's files are
-- not fetched twice (`files_done`), and the `_since` cursor (sync_cursor type '$export') moves only
-- when every file is in, in the same transaction that removes this row.
CREATE TABLE export_job (
    source TEXT PRIMARY KEY,
    status_url TEXT NOT NULL,
    -- The `_since` the job was started with (none: a first, full export).
    since TEXT,
    -- The finished job's manifest (JSON), once the server gave it.
    manifest TEXT,
    -- Output files (in manifest order: deleted files, then output) fully written to the cache.
    files_done INTEGER NOT NULL DEFAULT 0
);
