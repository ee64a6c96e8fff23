-- The change feed: one row per resource created, updated or deleted by the server's data (sync, the
-- server's answer to a delivered action). The rules read it in order and prune what they have read.
CREATE TABLE change_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,            -- created | updated | deleted
    changed TEXT,                  -- top-level elements that differ, comma-separated (updates)
    initial INTEGER NOT NULL,      -- 1 when written by a source's first sync of the type
    at TEXT NOT NULL
);

-- How far the rules have read the change feed.
CREATE TABLE rule_cursor (name TEXT PRIMARY KEY, seq INTEGER NOT NULL);

-- Every output a rule produced on this workstation, by dedupe key: the same key with the same content
-- is never queued again; with new content (a corrected result) it updates what was made.
CREATE TABLE rule_fired (
    key TEXT PRIMARY KEY,
    rule TEXT NOT NULL,
    source TEXT NOT NULL,
    signature TEXT NOT NULL,
    action_id TEXT,
    at TEXT NOT NULL
);

-- Alerts raised by rules, shown in the alerts panel until dismissed.
CREATE TABLE alert (
    key TEXT PRIMARY KEY,
    rule TEXT NOT NULL,
    source TEXT NOT NULL,
    patient_id TEXT,
    role TEXT NOT NULL,
    message TEXT NOT NULL,
    subject TEXT NOT NULL,
    raised_at TEXT NOT NULL,
    dismissed_at TEXT
);
