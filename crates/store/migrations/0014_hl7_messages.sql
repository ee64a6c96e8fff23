-- Every HL7 v2 message the feed receiver took or refused, by sender and control id (MSH-10): a resend
-- is answered from here and changes nothing; a refused or held message stays for IT to read and
-- replay. The message itself is kept (encrypted like the rest of the cache) so a replay needs no resend.
CREATE TABLE hl7_message (
    seq INTEGER PRIMARY KEY,
    sender TEXT NOT NULL,
    control_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    received_at TEXT NOT NULL,
    -- applied: its resources are in the cache and queued; refused: AE or AR; held: waiting for staff
    -- (no patient record matches its PID).
    state TEXT NOT NULL,
    ack_code TEXT NOT NULL,
    reason TEXT,
    action_id TEXT,
    raw BLOB NOT NULL,
    UNIQUE (sender, control_id)
);
CREATE INDEX hl7_message_problems ON hl7_message (state) WHERE state != 'applied';
