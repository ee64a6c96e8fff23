-- Every synced resource, as the server's raw JSON plus the columns the views and sync need.
CREATE TABLE resource (
    source       TEXT NOT NULL,
    type         TEXT NOT NULL,
    id           TEXT NOT NULL,
    version_id   TEXT,
    last_updated TEXT,
    patient_id   TEXT,
    json         TEXT NOT NULL,
    synced_at    TEXT NOT NULL,
    PRIMARY KEY (source, type, id)
) WITHOUT ROWID;
CREATE INDEX resource_by_patient ON resource (source, patient_id, type);

-- Patient search: normalised tokens, `n:` name part, `d:` birth date, `p:` phone digits, `i:` identifier.
CREATE TABLE patient_token (
    token      TEXT NOT NULL,
    source     TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    PRIMARY KEY (token, source, patient_id)
) WITHOUT ROWID;
CREATE INDEX patient_token_by_patient ON patient_token (source, patient_id, token);

-- Incremental sync: the high-water mark per source and type, taken from the server's own timestamps.
CREATE TABLE sync_cursor (
    source     TEXT NOT NULL,
    type       TEXT NOT NULL,
    high_water TEXT NOT NULL,
    PRIMARY KEY (source, type)
) WITHOUT ROWID;

-- One row per source: where it is and how its last sync went.
CREATE TABLE source_status (
    source          TEXT PRIMARY KEY,
    base_url        TEXT NOT NULL,
    last_sync_start TEXT,
    last_synced     TEXT,
    last_error      TEXT,
    capabilities    TEXT
);
