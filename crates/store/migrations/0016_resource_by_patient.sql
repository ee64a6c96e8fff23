-- The resource table keyed by patient first: (source, patient_id, type, id). A patient's rows then sit
-- side by side in the file, so a workspace view reads a few adjacent pages instead of one page per
-- resource scattered across a cache of gigabytes (its p99 rose past 5 ms once the OS's file cache no
-- longer held the whole file). Lookups by id go through the unique index on (source, type, id).
-- Resources about no patient (a Practitioner, a Location) have patient_id '' (a key column is never NULL).
CREATE TABLE resource_new (
    source         TEXT NOT NULL,
    type           TEXT NOT NULL,
    id             TEXT NOT NULL,
    version_id     TEXT,
    last_updated   TEXT,
    patient_id     TEXT NOT NULL DEFAULT '',
    json           TEXT NOT NULL,
    synced_at      TEXT NOT NULL,
    pending_action TEXT,
    PRIMARY KEY (source, patient_id, type, id)
) WITHOUT ROWID;
-- Copied in key order, so the new table is written front to back.
INSERT INTO resource_new (source, type, id, version_id, last_updated, patient_id, json, synced_at, pending_action)
    SELECT source, type, id, version_id, last_updated, coalesce(patient_id, ''), json, synced_at, pending_action
    FROM resource ORDER BY source, coalesce(patient_id, ''), type, id;
-- Dropping the old table drops its indexes and count triggers; they are made again below. Its pages
-- are zeroed as they are freed, so no copy of a row outlives a later eviction of its patient.
PRAGMA secure_delete = ON;
DROP TABLE resource;
PRAGMA secure_delete = OFF;
ALTER TABLE resource_new RENAME TO resource;
CREATE UNIQUE INDEX resource_by_id ON resource (source, type, id);
CREATE INDEX resource_pending ON resource (pending_action) WHERE pending_action IS NOT NULL;
-- The worklist reads every Task of a source. Tasks are few and small, so an index holding their whole
-- rows keeps them side by side; without it they are scattered among their patients' rows.
CREATE INDEX task_rows ON resource (source, type, id, json, synced_at, pending_action, patient_id) WHERE type = 'Task';
-- A day's schedule (and the patients in view) read the appointments and slots starting in a window,
-- not all of them. The key is the start as UTC text, so starts written with different offsets compare
-- as instants.
CREATE INDEX appointment_start ON resource (source, datetime(json_extract(json, '$.start'))) WHERE type = 'Appointment';
CREATE INDEX slot_start ON resource (source, datetime(json_extract(json, '$.start'))) WHERE type = 'Slot';
CREATE TRIGGER resource_counted AFTER INSERT ON resource BEGIN
    INSERT INTO resource_count (source, type, n) VALUES (new.source, new.type, 1)
        ON CONFLICT (source, type) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER resource_uncounted AFTER DELETE ON resource BEGIN
    UPDATE resource_count SET n = n - 1 WHERE source = old.source AND type = old.type;
END;
