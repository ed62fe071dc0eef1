-- The control numbers each carrier attempt was sent with (X12 ISA13, GS06, ST02, TRN02; the JSON API's
-- controlNumber as ST02), as JSON text written by serde_json: a payer's help desk finds a transaction by them.
-- No PHI. NULL for attempts recorded before this migration and for calls that never built a request.
ALTER TABLE verification_attempts ADD COLUMN control_numbers TEXT CHECK (control_numbers IS NULL OR json_valid(control_numbers));
