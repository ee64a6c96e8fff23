-- Staff actions waiting to reach the clinic's server, in the order they were taken.
CREATE TABLE outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    source     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    -- "Type/id" of the resource the action changes: actions on one resource are delivered in order.
    target     TEXT NOT NULL,
    intent     TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'conflict', 'discarded')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    not_before TEXT,
    error      TEXT,
    result     TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX outbox_by_state ON outbox (state, seq);

-- A cached resource changed locally by an action not yet delivered; sync leaves it alone meanwhile.
ALTER TABLE resource ADD COLUMN pending_action TEXT;
CREATE INDEX resource_pending ON resource (pending_action) WHERE pending_action IS NOT NULL;
