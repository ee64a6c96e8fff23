-- The keys each record can be linked through (its blocks: birth date, name, phone, email; and its
-- "same person" identifiers), kept by the identity layer so that the patients a sync changed are
-- linked again among the records they could pair with, not the whole clinic.
CREATE TABLE link_key (
    key TEXT NOT NULL,
    source TEXT NOT NULL,
    patient TEXT NOT NULL,
    PRIMARY KEY (key, source, patient)
) WITHOUT ROWID;
CREATE INDEX link_key_by_record ON link_key (source, patient);
