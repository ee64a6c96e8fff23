-- How many resources of each type each source has cached, kept by triggers: counting 2 million rows
-- took seconds on every start of the window.
CREATE TABLE resource_count (
    source TEXT NOT NULL,
    type   TEXT NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (source, type)
) WITHOUT ROWID;
-- Counted over the patient index, a small entry per row, not the table with its JSON.
INSERT INTO resource_count (source, type, n) SELECT source, type, count(*) FROM resource INDEXED BY resource_by_patient GROUP BY source, type;
-- An upsert that updates fires no INSERT trigger, so only new rows count.
CREATE TRIGGER resource_counted AFTER INSERT ON resource BEGIN
    INSERT INTO resource_count (source, type, n) VALUES (new.source, new.type, 1)
        ON CONFLICT (source, type) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER resource_uncounted AFTER DELETE ON resource BEGIN
    UPDATE resource_count SET n = n - 1 WHERE source = old.source AND type = old.type;
END;
