-- The HL7 error code (table 0357) a refused message was answered with, so a resend of it is answered
-- with the same code, not a generic one.
ALTER TABLE hl7_message ADD COLUMN error_code INTEGER;
