-- A verification can be sent to its carrier again after it ended (RetryVerification). Each such "round" has its
-- own attempt budget and deadline: `round_started_at` is when the current round began (NULL: at creation) and
-- `round_attempt_base` how many attempts earlier rounds made. Attempt numbers keep counting across rounds.
ALTER TABLE verifications ADD COLUMN round_started_at TIMESTAMPTZ;
ALTER TABLE verifications ADD COLUMN round_attempt_base INTEGER NOT NULL DEFAULT 0 CHECK (round_attempt_base >= 0);
