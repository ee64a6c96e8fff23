-- Patient search as a full-text index over the same tokens as patient_token, one row per Patient.
-- FTS5 intersects the terms' compressed lists of patients; range scans of patient_token read and
-- compare every row, and a common given and family name over 250,000 records took tens of
-- milliseconds. Prefix indexes serve the short prefixes people type ("n:m" to "n:mart"). Contentless
-- with secure delete: a forgotten patient's tokens leave no copy behind in the index.
CREATE TABLE patient_key (
    key INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    UNIQUE (source, patient_id)
);
CREATE VIRTUAL TABLE patient_search USING fts5(
    tokens, content = '', contentless_delete = 1, tokenize = "unicode61 tokenchars ':'", prefix = '3 4 5 6'
);
INSERT INTO patient_search (patient_search, rank) VALUES ('secure-delete', 1);
INSERT INTO patient_key (source, patient_id) SELECT DISTINCT source, patient_id FROM patient_token;
INSERT INTO patient_search (rowid, tokens)
    SELECT k.key, group_concat(t.token, ' ') FROM patient_key k
    JOIN patient_token t ON t.source = k.source AND t.patient_id = k.patient_id GROUP BY k.key;
