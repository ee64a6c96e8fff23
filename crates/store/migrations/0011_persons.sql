-- Who is who across sources: each record of a person linked across two or more records, with the
-- person's key (their first record as "source/id"), and the pairs put to staff for review. Both are
-- rebuilt whole from the cached Patients and the staff's decisions (Linkage resources).
CREATE TABLE person_link (
    source TEXT NOT NULL,
    patient TEXT NOT NULL,
    person TEXT NOT NULL,
    PRIMARY KEY (source, patient)
) WITHOUT ROWID;
CREATE INDEX person_link_person ON person_link (person);

CREATE TABLE link_review (
    a_source TEXT NOT NULL,
    a_patient TEXT NOT NULL,
    b_source TEXT NOT NULL,
    b_patient TEXT NOT NULL,
    score REAL NOT NULL,
    why TEXT NOT NULL,
    PRIMARY KEY (a_source, a_patient, b_source, b_patient)
) WITHOUT ROWID;
