//! SQL shared by both backends. SQLite accepts PostgreSQL's `$N` placeholders (sqlx maps them by number), so a
//! statement whose text is the same on both lives here once; the column codecs in `rows.rs` make the bound values
//! the same Rust types on both, and `shared.rs` runs the statements whose use is the same on both. What differs
//! (claiming in batches, assigning the change cursor, list filters) is in each backend's module.

use sqlx::{Database, Encode, QueryBuilder, Type};

use super::ListQuery;

/// The `verifications` columns `VerificationRow` reads, as a string literal for `concat!`.
macro_rules! verification_columns {
    () => {
        "id, request_id, fingerprint, request, status, outcome, verdict, screening_rule, screening_reason, \
         carrier, payer_id, benefits, follow_up, status_detail, next_attempt_at, attempt_count, lease_token, \
         lease_expires_at, created_at, updated_at, change_cursor, round_started_at, round_attempt_base, trace_context"
    };
}
pub(crate) use verification_columns;

/// The `verification_attempts` columns `AttemptRow` reads, as a string literal for `concat!`.
macro_rules! attempt_columns {
    () => {
        "verification_id, attempt_number, carrier, started_at, latency_micros, http_status, result_class, \
         error_code, detail, raw_request, raw_response, control_numbers"
    };
}
pub(crate) use attempt_columns;

/// Inserts a verification unless its id or request id is taken, returning the stored row. `$1`..`$16` are bound
/// by `bind_new_verification!`; `$next_cursor` is the backend's SQL expression for the next change cursor.
macro_rules! insert_verification_sql {
    ($next_cursor:expr) => {
        concat!(
            "INSERT INTO verifications (id, request_id, fingerprint, request, status, outcome, verdict, ",
            "screening_rule, screening_reason, carrier, payer_id, follow_up, status_detail, next_attempt_at, ",
            "created_at, updated_at, trace_context, change_cursor) ",
            // updated_at starts as created_at ($15).
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16, ",
            $next_cursor,
            ") ON CONFLICT DO NOTHING RETURNING ",
            $crate::store::sql::verification_columns!()
        )
    };
}
pub(crate) use insert_verification_sql;

/// Gives verification `$1` the next change cursor (`$next_cursor`, the backend's expression) and returns the row.
/// The last statement of a writing transaction, after every other change it makes.
macro_rules! bump_cursor_sql {
    ($next_cursor:expr) => {
        concat!(
            "UPDATE verifications SET change_cursor = ",
            $next_cursor,
            " WHERE id = $1 RETURNING ",
            $crate::store::sql::verification_columns!()
        )
    };
}
pub(crate) use bump_cursor_sql;

/// Binds a `NewVerificationValues` to `$1`..`$16` of `insert_verification_sql!`.
macro_rules! bind_new_verification {
    ($query:expr, $values:expr) => {{
        let v = $values;
        $query
            .bind(v.id)
            .bind(v.request_id)
            .bind(v.fingerprint)
            .bind(v.request)
            .bind(v.status)
            .bind(v.outcome)
            .bind(v.verdict)
            .bind(v.screening_rule)
            .bind(v.screening_reason)
            .bind(v.carrier)
            .bind(v.payer_id)
            .bind(v.follow_up)
            .bind(v.status_detail)
            .bind(v.next_attempt_at)
            .bind(v.created_at)
            .bind(v.trace_context)
    }};
}
pub(crate) use bind_new_verification;

/// One verification by id.
pub(crate) const SELECT_VERIFICATION: &str =
    concat!("SELECT ", verification_columns!(), " FROM verifications WHERE id = $1");

/// One verification by its idempotency key.
pub(crate) const SELECT_VERIFICATION_BY_REQUEST_ID: &str =
    concat!("SELECT ", verification_columns!(), " FROM verifications WHERE request_id = $1");

/// The attempts of one verification, oldest first.
pub(crate) const SELECT_ATTEMPTS: &str = concat!(
    "SELECT ",
    attempt_columns!(),
    " FROM verification_attempts WHERE verification_id = $1 ORDER BY attempt_number"
);

/// Leases one verification if it is still pending and nobody holds an unexpired lease on it, due or not.
/// `$1` id, `$2` token, `$3` owner, `$4` expiry, `$5` now.
pub(crate) const CLAIM_ONE: &str = concat!(
    "UPDATE verifications SET lease_token = $2, lease_owner = $3, lease_expires_at = $4 ",
    "WHERE id = $1 AND status = 'pending' AND (lease_expires_at IS NULL OR lease_expires_at <= $5) ",
    "RETURNING ",
    verification_columns!()
);

/// Applies a transition if the lease token still holds the verification, and releases the lease. Returns the
/// id when it applied. The change cursor is assigned afterwards by each backend. Bound by `bind_transition!`.
pub(crate) const APPLY_TRANSITION: &str = "UPDATE verifications SET \
     status = $3, outcome = $4, \
     benefits = CASE WHEN $5 THEN $6 ELSE benefits END, \
     verdict = COALESCE($7, verdict), screening_rule = COALESCE($8, screening_rule), \
     screening_reason = COALESCE($9, screening_reason), \
     follow_up = $10, status_detail = $11, next_attempt_at = $12, updated_at = $13, \
     attempt_count = attempt_count + $14, lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL \
     WHERE id = $1 AND lease_token = $2 AND status = 'pending' \
     RETURNING id";

/// Binds `APPLY_TRANSITION`: `(query, id, lease_token, TransitionValues, now, attempts_recorded)`.
macro_rules! bind_transition {
    ($query:expr, $id:expr, $token:expr, $values:expr, $now:expr, $attempts:expr) => {{
        let t = $values;
        $query
            .bind($id)
            .bind($token)
            .bind(t.status)
            .bind(t.outcome)
            .bind(t.replace_benefits)
            .bind(t.benefits)
            .bind(t.verdict)
            .bind(t.screening_rule)
            .bind(t.screening_reason)
            .bind(t.follow_up)
            .bind(t.status_detail)
            .bind(t.next_attempt_at)
            .bind($now)
            .bind($attempts)
    }};
}
pub(crate) use bind_transition;

/// Stores one carrier attempt. Bound by `bind_attempt!`.
pub(crate) const INSERT_ATTEMPT: &str = concat!(
    "INSERT INTO verification_attempts (",
    attempt_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
);

/// Binds `INSERT_ATTEMPT` to an `AttemptValues`.
macro_rules! bind_attempt {
    ($query:expr, $values:expr) => {{
        let a = $values;
        $query
            .bind(a.verification_id)
            .bind(a.attempt_number)
            .bind(a.carrier)
            .bind(a.started_at)
            .bind(a.latency_micros)
            .bind(a.http_status)
            .bind(a.result_class)
            .bind(a.error_code)
            .bind(a.detail)
            .bind(a.raw_request)
            .bind(a.raw_response)
            .bind(a.control_numbers)
    }};
}
pub(crate) use bind_attempt;

/// Gives a lease back if it is still held by this token (`$1` id, `$2` token); a lost lease is left alone.
pub(crate) const RELEASE_CLAIM: &str = "UPDATE verifications SET lease_token = NULL, lease_owner = NULL, \
     lease_expires_at = NULL WHERE id = $1 AND lease_token = $2";

/// Gives a lease back and moves the work's due time (`$1` id, `$2` token, `$3` next attempt): the worker chose
/// not to call the carrier now (circuit open, retry budget spent). Nothing visible changes, so no cursor.
pub(crate) const DEFER_CLAIM: &str = "UPDATE verifications SET lease_token = NULL, lease_owner = NULL, \
     lease_expires_at = NULL, next_attempt_at = $3 WHERE id = $1 AND lease_token = $2 AND status = 'pending'";

/// Starts a new round of carrier attempts for an ended verification (`RetryVerification`): `$1` id, `$2` now,
/// `$3` status detail, `$4`/`$5` a new carrier and payer id (NULL keeps the stored ones), `$6` the retry call's
/// trace context (NULL keeps the stored one). Refused and
/// government-plan verifications are not reopened, nor one with no carrier to call. Returns the id when it
/// applied; the caller then bumps the cursor.
pub(crate) const REOPEN: &str = "UPDATE verifications SET status = 'pending', outcome = NULL, \
     follow_up = 'awaiting_result', status_detail = $3, next_attempt_at = $2, round_started_at = $2, \
     round_attempt_base = attempt_count, carrier = COALESCE($4, carrier), payer_id = COALESCE($5, payer_id), \
     trace_context = COALESCE($6, trace_context), \
     updated_at = $2, lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL \
     WHERE id = $1 AND status IN ('completed', 'failed') \
     AND (outcome IS NULL OR outcome <> 'government_plan_found') AND COALESCE($4, carrier) IS NOT NULL \
     RETURNING id";

/// Makes pending work due now (`$1` id, `$2` now) when its next attempt was later. Returns the id when it applied.
pub(crate) const HASTEN: &str = "UPDATE verifications SET next_attempt_at = $2 WHERE id = $1 AND status = 'pending' AND next_attempt_at > $2 \
     RETURNING id";

/// Count of pending verifications and the oldest creation time.
pub(crate) const PENDING_SUMMARY: &str =
    "SELECT COUNT(*) AS pending, MIN(created_at) AS oldest FROM verifications WHERE status = 'pending'";

/// Builds the `ListVerifications` page query: the filters present, in change-cursor order, up to `horizon` when
/// the backend needs one (PostgreSQL: see `postgres.rs`). Values are bound, never interpolated; only the shape
/// (which filters, how many values) varies.
pub(crate) fn list_page_query<DB>(query: &ListQuery, limit: u32, horizon: Option<i64>) -> QueryBuilder<DB>
where
    DB: Database,
    DB::Arguments: Default,
    i64: Encode<'static, DB> + Type<DB>,
    &'static str: Encode<'static, DB> + Type<DB>,
{
    let mut builder = QueryBuilder::<DB>::new(concat!(
        "SELECT ",
        verification_columns!(),
        " FROM verifications WHERE change_cursor > "
    ));
    builder.push_bind(query.after_cursor);
    if let Some(horizon) = horizon {
        builder.push(" AND change_cursor <= ").push_bind(horizon);
    }
    push_in_list(&mut builder, "status", query.statuses.iter().map(|s| s.as_str()));
    push_in_list(&mut builder, "outcome", query.outcomes.iter().map(|o| o.as_str()));
    push_in_list(&mut builder, "follow_up", query.follow_up_states.iter().map(|f| f.as_str()));
    builder.push(" ORDER BY change_cursor LIMIT ");
    builder.push_bind(i64::from(limit));
    builder
}

/// Appends ` AND column IN ($a, $b, ...)` when `values` is not empty. `column` is one of our own column names.
fn push_in_list<DB>(builder: &mut QueryBuilder<DB>, column: &'static str, values: impl Iterator<Item = &'static str>)
where
    DB: Database,
    &'static str: Encode<'static, DB> + Type<DB>,
{
    let mut values = values.peekable();
    if values.peek().is_none() {
        return;
    }
    builder.push(" AND ").push(column).push(" IN (");
    let mut list = builder.separated(", ");
    for value in values {
        list.push_bind(value);
    }
    builder.push(")");
}
