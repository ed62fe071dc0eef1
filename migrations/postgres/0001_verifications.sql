-- Verifications and their carrier attempts (PostgreSQL).
--
-- Same shape as migrations/sqlite (mapped in src/store/rows.rs), with native types: UUID, JSONB, TIMESTAMPTZ
-- (microsecond precision; the store truncates to microseconds before writing so both backends round-trip the
-- same values). Enumerations are the stable text forms of the domain types, checked here. Tables are created
-- unqualified: they land in the first schema of the connection's search_path (see
-- `PostgresStore::connect_with_schema`).

-- The change cursor. CACHE 1 (the default, spelled out) matters: with a per-session cache, values would be
-- handed out out of order across connections, and `last_value` would not be the last value handed out.
CREATE SEQUENCE verification_change_cursor AS BIGINT START WITH 1 CACHE 1;

-- Why two functions and an advisory lock (the full argument is in src/store/postgres.rs): a transaction that drew
-- cursor 5 may commit after one that drew 6, so a poller reading `change_cursor > X` could move past 6 and never
-- see 5. Writers draw cursors only while holding the cursor lock in SHARED mode, until their commit; shared
-- holders do not wait for each other, so commits stay concurrent (and share WAL flushes). A reader takes the lock
-- in EXCLUSIVE mode for an instant: it is granted once every transaction that drew a cursor has committed or
-- rolled back, so every cursor up to the sequence's last value is settled, and that value is the horizon a list
-- may read up to. The lock key is this application's class (0x49565631, "IVV1") and the sequence's OID, so each
-- schema has its own lock and nothing collides with sqlx's migration lock (a single bigint key).

-- The next change cursor, for the last statement of a writing transaction.
CREATE FUNCTION verification_next_cursor() RETURNS BIGINT LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(1230394929, 'verification_change_cursor'::regclass::oid::integer);
    RETURN nextval('verification_change_cursor');
END;
$$;

-- The largest cursor below which no change can still appear. Call it in a transaction of its own (autocommit), so
-- the exclusive lock is released at once, and read up to the horizon in a later transaction.
CREATE FUNCTION verification_cursor_horizon() RETURNS BIGINT LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    horizon BIGINT;
BEGIN
    PERFORM pg_advisory_xact_lock(1230394929, 'verification_change_cursor'::regclass::oid::integer);
    SELECT CASE WHEN is_called THEN last_value ELSE 0 END INTO horizon FROM verification_change_cursor;
    RETURN horizon;
END;
$$;

CREATE TABLE verifications (
    id               UUID        NOT NULL PRIMARY KEY,
    -- The caller's idempotency key; unique when present (index below).
    request_id       TEXT,
    fingerprint      TEXT        NOT NULL,
    -- The submitted request (PHI).
    request          JSONB       NOT NULL,
    status           TEXT        NOT NULL CHECK (status IN ('rejected', 'pending', 'completed', 'failed')),
    outcome          TEXT        CHECK (outcome IN ('coverage_active', 'coverage_inactive', 'member_not_found',
                                                    'demographics_mismatch', 'government_plan_found',
                                                    'carrier_not_supported', 'carrier_unavailable',
                                                    'carrier_rejected')),
    verdict          TEXT        NOT NULL CHECK (verdict IN ('forward', 'medicaid', 'medicare')),
    screening_rule   TEXT        NOT NULL,
    screening_reason TEXT        NOT NULL,
    carrier          TEXT,
    payer_id         TEXT,
    benefits         JSONB,
    follow_up        TEXT        NOT NULL CHECK (follow_up IN ('awaiting_result', 'call_applicant',
                                                               'refer_elsewhere', 'verify_manually', 'contacted',
                                                               'closed')),
    status_detail    TEXT,
    next_attempt_at  TIMESTAMPTZ,
    -- Attempts recorded so far (kept here so a claim need not count the attempts table).
    attempt_count    INTEGER     NOT NULL DEFAULT 0 CHECK (attempt_count >= 0),
    -- The dispatcher's lease: who holds the work and until when. Token and expiry are set or cleared together.
    lease_token      UUID,
    lease_owner      TEXT,
    lease_expires_at TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    -- Monotonic change cursor, from verification_next_cursor() (see above).
    change_cursor    BIGINT      NOT NULL,
    CHECK ((lease_token IS NULL) = (lease_expires_at IS NULL))
);

CREATE UNIQUE INDEX verifications_request_id ON verifications (request_id) WHERE request_id IS NOT NULL;
CREATE UNIQUE INDEX verifications_change_cursor ON verifications (change_cursor);
-- The dispatchers' claim query: due pending work, oldest due first.
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
    verification_id UUID        NOT NULL REFERENCES verifications (id),
    attempt_number  INTEGER     NOT NULL CHECK (attempt_number >= 1),
    carrier         TEXT        NOT NULL,
    started_at      TIMESTAMPTZ NOT NULL,
    latency_micros  BIGINT      NOT NULL,
    http_status     INTEGER,
    result_class    TEXT        NOT NULL CHECK (result_class IN ('answered', 'timeout', 'connection_error',
                                                                 'server_error', 'carrier_busy', 'rejected',
                                                                 'invalid_response')),
    error_code      TEXT,
    detail          TEXT,
    raw_request    BYTEA,
    raw_response   BYTEA,
    -- A result is stored at most once per attempt number, even if two workers raced.
    PRIMARY KEY (verification_id, attempt_number)
);
