-- Who queued each action (an `Actor` as JSON): delivery sends a Provenance naming them and the
-- workstation. Rows queued before this migration have none, and go without a Provenance.
ALTER TABLE outbox ADD COLUMN actor TEXT;
