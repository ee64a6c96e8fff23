-- Phone calls seen at this workstation: one row per call id from the phone system. The patient is
-- set once known (one match, or the agent's choice); the call is then also written back as a
-- Communication through the outbox (`action` is that outbox row).
CREATE TABLE call_log (
    call_id TEXT PRIMARY KEY,
    number TEXT NOT NULL,          -- the caller, E.164 when it could be read
    started TEXT NOT NULL,
    answered TEXT,
    ended TEXT,
    seconds INTEGER NOT NULL DEFAULT 0,
    agent TEXT NOT NULL,
    disposition TEXT NOT NULL,     -- ringing | answered | completed | missed
    source TEXT,
    patient TEXT,
    action TEXT
);
CREATE INDEX call_by_patient ON call_log (source, patient, started);
