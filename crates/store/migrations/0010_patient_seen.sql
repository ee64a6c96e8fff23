-- When each patient of a source was last opened, found by a search, or in view (on the schedule, with
-- an open task, on a recent call). A partial source's patients not seen for its retention time, and
-- not in view, leave the cache.
CREATE TABLE patient_seen (
    source TEXT NOT NULL,
    patient TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (source, patient)
) WITHOUT ROWID;
