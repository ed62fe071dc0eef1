-- The control numbers each carrier attempt was sent with (X12 ISA13, GS06, ST02, TRN02; the JSON API's
-- controlNumber as ST02): a payer's help desk finds a transaction by them. No PHI. NULL for attempts recorded
-- before this migration and for calls that never built a request.
ALTER TABLE verification_attempts ADD COLUMN control_numbers JSONB;
-- Looking an attempt up by the trace number a payer quotes back.
CREATE INDEX verification_attempts_trace ON verification_attempts ((control_numbers ->> 'trace'))
    WHERE control_numbers IS NOT NULL;
