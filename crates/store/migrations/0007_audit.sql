-- Who saw what and did what: one row per audit event, written in the same transaction as what it
-- records, and sent to `source` as an AuditEvent (built from the row) until `sent` is set.
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,        -- the AuditEvent's id on the server, minted here
    recorded TEXT NOT NULL,
    user TEXT NOT NULL,             -- the Practitioner reference, else the name shown
    user_name TEXT NOT NULL,
    workstation TEXT NOT NULL,
    action TEXT NOT NULL,           -- AuditAction's words
    source TEXT NOT NULL,           -- where the event is sent (and the patient's source)
    patient TEXT,                   -- the patient's id in `source`
    detail TEXT NOT NULL,           -- what was read or done, in words (a query's text, an action's kind)
    sent TEXT,                      -- when the server took it
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX audit_unsent ON audit_log (seq) WHERE sent IS NULL;
CREATE INDEX audit_recent ON audit_log (user, action, patient, recorded);
CREATE INDEX audit_by_patient ON audit_log (patient, recorded);

-- The view's bookkeeping: the patients opened at this workstation, and when last.
CREATE TABLE patient_opened (
    source TEXT NOT NULL,
    patient TEXT NOT NULL,
    user TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    PRIMARY KEY (source, patient)
);
