-- Verifications and their carrier attempts (SQLite).
--
-- Conventions (shared with migrations/postgres, mapped in src/store/rows.rs):
-- * ids are UUIDs written as hyphenated lower-case TEXT, so a person reading the file sees what the API shows;
-- * timestamps are INTEGER microseconds since the Unix epoch (UTC): they sort and compare as numbers and keep
--   exactly the precision PostgreSQL's TIMESTAMPTZ keeps, so both stores round-trip the same values;
-- * enumerations are the stable text forms of the domain types (`Status::as_str()` and friends), checked here;
-- * the request and the benefit summary are JSON text written by serde_json.
-- STRICT tables make SQLite refuse values of the wrong type instead of storing them silently.

CREATE TABLE verifications (
    id               TEXT    NOT NULL PRIMARY KEY,
    -- The caller's idempotency key; unique when present (index below).
    request_id       TEXT,
    fingerprint      TEXT    NOT NULL,
    -- The submitted request (PHI).
    request          TEXT    NOT NULL CHECK (json_valid(request)),
    status           TEXT    NOT NULL CHECK (status IN ('rejected', 'pending', 'completed', 'failed')),
    outcome          TEXT    CHECK (outcome IN ('coverage_active', 'coverage_inactive', 'member_not_found',
                                                'demographics_mismatch', 'government_plan_found',
                                                'carrier_not_supported', 'carrier_unavailable',
                                                'carrier_rejected')),
    verdict          TEXT    NOT NULL CHECK (verdict IN ('forward', 'medicaid', 'medicare')),
    screening_rule   TEXT    NOT NULL,
    screening_reason TEXT    NOT NULL,
    carrier          TEXT,
    payer_id         TEXT,
    benefits         TEXT    CHECK (benefits IS NULL OR json_valid(benefits)),
    follow_up        TEXT    NOT NULL CHECK (follow_up IN ('awaiting_result', 'call_applicant', 'refer_elsewhere',
                                                           'verify_manually', 'contacted', 'closed')),
    status_detail    TEXT,
    next_attempt_at  INTEGER,
    -- Attempts recorded so far (kept here so a claim need not count the attempts table).
    attempt_count    INTEGER NOT NULL DEFAULT 0 CHECK (attempt_count >= 0),
    -- The dispatcher's lease: who holds the work and until when. All three are set together or cleared together.
    lease_token      TEXT,
    lease_owner      TEXT,
    lease_expires_at INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    -- Monotonic change cursor: every visible change takes the next value inside its (serialised) write
    -- transaction, so pollers reading `change_cursor > X` in order never miss one.
    change_cursor    INTEGER NOT NULL,
    CHECK ((lease_token IS NULL) = (lease_expires_at IS NULL))
) STRICT;

CREATE UNIQUE INDEX verifications_request_id ON verifications (request_id) WHERE request_id IS NOT NULL;
CREATE UNIQUE INDEX verifications_change_cursor ON verifications (change_cursor);
-- The dispatcher's claim query: due pending work, oldest due first.
CREATE INDEX verifications_due ON verifications (next_attempt_at) WHERE status = 'pending';
-- pending_summary: the oldest pending verification.
CREATE INDEX verifications_pending_created ON verifications (created_at) WHERE status = 'pending';
-- ListVerifications filters, each in cursor order.
CREATE INDEX verifications_status_cursor ON verifications (status, change_cursor);
CREATE INDEX verifications_outcome_cursor ON verifications (outcome, change_cursor) WHERE outcome IS NOT NULL;
CREATE INDEX verifications_follow_up_cursor ON verifications (follow_up, change_cursor);

-- One row per carrier call. The summary columns hold no PHI; raw_request and raw_response do (kept for audit
-- and re-parsing, never logged). The raw bodies are bytes, not text: carriers send anything, NUL bytes included,
-- and a body that a text column refuses would block the attempt's result from being stored.
CREATE TABLE verification_attempts (
    verification_id TEXT    NOT NULL REFERENCES verifications (id),
    attempt_number  INTEGER NOT NULL CHECK (attempt_number >= 1),
    carrier         TEXT    NOT NULL,
    started_at      INTEGER NOT NULL,
    latency_micros  INTEGER NOT NULL,
    http_status     INTEGER,
    result_class    TEXT    NOT NULL CHECK (result_class IN ('answered', 'timeout', 'connection_error',
                                                             'server_error', 'carrier_busy', 'rejected',
                                                             'invalid_response')),
    error_code      TEXT,
    detail          TEXT,
    raw_request     BLOB,
    raw_response    BLOB,
    -- A result is stored at most once per attempt number, even if two workers raced.
    PRIMARY KEY (verification_id, attempt_number)
) STRICT;
