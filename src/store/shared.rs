//! Store method bodies that are the same on both backends, written once over sqlx's [`Database`].
//!
//! [`StoreDb`] is implemented for `Sqlite` (in `sqlite.rs`) and `Postgres` (in `postgres.rs`); each implementation
//! supplies only its change-cursor statements, and the default methods hold the shared bodies. What the backends do
//! differently stays with the caller: a method that needs a transaction takes one the caller began (SQLite's
//! `BEGIN IMMEDIATE` writer, PostgreSQL's repeatable-read snapshot, ...), and a single statement takes any executor,
//! so SQLite can run it inside its write transaction while PostgreSQL runs it on the pool as a transaction of its
//! own.
//!
//! The bounds sit on the trait rather than on free functions because Rust does not carry a function's `where`
//! clause over to its callers: every generic caller would have to repeat the whole list. Inside the trait the
//! default methods see them once, and callers name a concrete backend (`Sqlite::read_one(..)`), which satisfies them.

use sqlx::{Database, Encode, Executor, FromRow, IntoArguments, Transaction, Type};
use time::OffsetDateTime;

use super::rows::{
    AttemptRow, AttemptValues, DbId, DbJson, DbTime, LeaseValues, NewVerificationValues, TransitionValues,
    VerificationRow, attempts_of_one,
};
use super::sql::{
    self, APPLY_TRANSITION, CLAIM_ONE, DEFER_CLAIM, HASTEN, INSERT_ATTEMPT, PENDING_SUMMARY, RELEASE_CLAIM, REOPEN,
    SELECT_ATTEMPTS, SELECT_VERIFICATION, SELECT_VERIFICATION_BY_REQUEST_ID, bind_attempt, bind_new_verification,
    bind_transition,
};
use super::{ClaimedWork, InsertOutcome, ListQuery, RetryOutcome, StoreError};
use crate::domain::{CarrierAttempt, NewVerification, RouteChoice, Status, Verification};

/// A database a store runs on: what the shared bodies need of it (the row types decode, the column codecs of
/// `rows.rs` and the plain values they bind encode), the backend's change-cursor statements, and the bodies.
pub(crate) trait StoreDb: Database
where
    // Queries run on a connection (a transaction derefs to one) or a pool, which needs the same bound.
    for<'c> &'c mut Self::Connection: Executor<'c, Database = Self>,
    Self::Arguments: IntoArguments<Self>,
    // The rows read.
    for<'r> VerificationRow: FromRow<'r, Self::Row>,
    for<'r> AttemptRow: FromRow<'r, Self::Row>,
    for<'r> (DbId,): FromRow<'r, Self::Row>,
    for<'r> (i64, Option<DbTime>): FromRow<'r, Self::Row>,
    // The values bound. sqlx implements `Encode` for `Option<T>` per backend, not generically, so the nullable
    // columns' `Option`s are listed as well.
    for<'q> DbId: Encode<'q, Self> + Type<Self>,
    for<'q> DbTime: Encode<'q, Self> + Type<Self>,
    for<'q> Option<DbTime>: Encode<'q, Self> + Type<Self>,
    for<'q> DbJson: Encode<'q, Self> + Type<Self>,
    for<'q> Option<DbJson>: Encode<'q, Self> + Type<Self>,
    for<'q> &'q str: Encode<'q, Self> + Type<Self>,
    for<'q> Option<&'q str>: Encode<'q, Self> + Type<Self>,
    for<'q> String: Encode<'q, Self> + Type<Self>,
    for<'q> Option<String>: Encode<'q, Self> + Type<Self>,
    for<'q> bool: Encode<'q, Self> + Type<Self>,
    for<'q> i32: Encode<'q, Self> + Type<Self>,
    for<'q> Option<i32>: Encode<'q, Self> + Type<Self>,
    for<'q> i64: Encode<'q, Self> + Type<Self>,
    for<'q> Option<Vec<u8>>: Encode<'q, Self> + Type<Self>,
{
    /// `insert_verification_sql!` with this backend's next change cursor.
    const INSERT_VERIFICATION: &'static str;

    /// `bump_cursor_sql!` with this backend's next change cursor.
    const BUMP_CURSOR: &'static str;

    /// Inserts `values` unless the id or request id is taken: the stored row, or `None` when nothing was inserted.
    async fn insert_row<'e>(
        executor: impl Executor<'e, Database = Self>,
        values: NewVerificationValues,
    ) -> Result<Option<VerificationRow>, StoreError> {
        Ok(bind_new_verification!(sqlx::query_as::<_, VerificationRow>(Self::INSERT_VERIFICATION), values)
            .fetch_optional(executor)
            .await?)
    }

    /// The verification an insert of `new` conflicted with (same request id or, for a retried insert, same id),
    /// read in `tx`, which must see that committed row.
    async fn existing_after_conflict(
        tx: Transaction<'_, Self>,
        new: &NewVerification,
    ) -> Result<InsertOutcome, StoreError> {
        let existing = match &new.request_id {
            Some(request_id) => {
                Self::read_one(tx, SELECT_VERIFICATION_BY_REQUEST_ID, request_id.as_str().to_owned()).await?
            }
            None => Self::read_one(tx, SELECT_VERIFICATION, DbId(new.id)).await?,
        };
        existing.map(InsertOutcome::Existing).ok_or_else(|| {
            StoreError::Corrupt(format!("verification {}: insert conflicted but no conflicting row exists", new.id))
        })
    }

    /// One verification and its attempts, found by `sql` with `key` as `$1`, both read in `tx` (so from one
    /// snapshot when the caller began it as one), which is then committed.
    async fn read_one(
        mut tx: Transaction<'_, Self>,
        sql: &'static str,
        key: impl for<'q> Encode<'q, Self> + Type<Self> + Send,
    ) -> Result<Option<Verification>, StoreError> {
        let Some(row) = sqlx::query_as::<_, VerificationRow>(sql).bind(key).fetch_optional(&mut *tx).await? else {
            return Ok(None);
        };
        let attempts = sqlx::query_as::<_, AttemptRow>(SELECT_ATTEMPTS).bind(row.id).fetch_all(&mut *tx).await?;
        tx.commit().await?;
        row.into_verification(attempts_of_one(attempts)?).map(Some)
    }

    /// The rows of one list page (`sql::list_page_query`), read in `tx`.
    async fn page_rows(
        tx: &mut Transaction<'_, Self>,
        query: &ListQuery,
        limit: u32,
        horizon: Option<i64>,
    ) -> Result<Vec<VerificationRow>, StoreError> {
        Ok(sql::list_page_query::<Self>(query, limit, horizon)
            .build_query_as::<VerificationRow>()
            .fetch_all(&mut **tx)
            .await?)
    }

    /// Leases verification `id` to `worker` with `lease` (`CLAIM_ONE`): the leased row, or `None` when it is no
    /// longer pending or someone else holds an unexpired lease on it.
    async fn claim_row<'e>(
        executor: impl Executor<'e, Database = Self>,
        id: DbId,
        worker: &str,
        lease: &LeaseValues,
    ) -> Result<Option<VerificationRow>, StoreError> {
        Ok(sqlx::query_as::<_, VerificationRow>(CLAIM_ONE)
            .bind(id)
            .bind(lease.token)
            .bind(worker)
            .bind(lease.expires_at)
            .bind(lease.now)
            .fetch_optional(executor)
            .await?)
    }

    /// Records `attempt` (when there is one: a verification closed without a call has none) and applies the
    /// transition `values` in `tx`, if `claim.lease_token` still holds the verification; otherwise rolls back and
    /// returns [`StoreError::LeaseLost`]. Bumps the change cursor last, commits, and returns the updated
    /// verification.
    async fn record_attempt(
        mut tx: Transaction<'_, Self>,
        claim: &ClaimedWork,
        attempt: Option<&CarrierAttempt>,
        values: TransitionValues,
        now: OffsetDateTime,
    ) -> Result<Verification, StoreError> {
        let id = DbId(claim.verification_id);
        // Checks the lease and, on PostgreSQL, locks the row until commit: a claimer that wants it after the lease
        // expired waits, then sees it no longer pending or no longer leased to anyone. (On SQLite the write
        // transaction already keeps every other writer out.)
        let applied: Option<DbId> = bind_transition!(
            sqlx::query_scalar(APPLY_TRANSITION),
            id,
            DbId(claim.lease_token),
            values,
            DbTime::new(now),
            i32::from(attempt.is_some())
        )
        .fetch_optional(&mut *tx)
        .await?;
        if applied.is_none() {
            tx.rollback().await?;
            return Err(StoreError::LeaseLost(claim.verification_id));
        }
        if let Some(attempt) = attempt {
            bind_attempt!(sqlx::query(INSERT_ATTEMPT), AttemptValues::of(claim.verification_id, attempt))
                .execute(&mut *tx)
                .await?;
        }
        let attempts = sqlx::query_as::<_, AttemptRow>(SELECT_ATTEMPTS).bind(id).fetch_all(&mut *tx).await?;
        // Last: the cursor (on PostgreSQL it takes the shared cursor lock until commit, see `postgres.rs`).
        let row = sqlx::query_as::<_, VerificationRow>(Self::BUMP_CURSOR).bind(id).fetch_one(&mut *tx).await?;
        // Commit before decoding: the result is stored even if the updated row then fails to decode.
        tx.commit().await?;
        row.into_verification(attempts_of_one(attempts)?)
    }

    /// Gives `claim`'s lease back if its token still holds it (`RELEASE_CLAIM`); a lost lease is left alone.
    async fn release_claim<'e>(
        executor: impl Executor<'e, Database = Self>,
        claim: &ClaimedWork,
    ) -> Result<(), StoreError> {
        sqlx::query(RELEASE_CLAIM)
            .bind(DbId(claim.verification_id))
            .bind(DbId(claim.lease_token))
            .execute(executor)
            .await?;
        Ok(())
    }

    /// Gives `claim`'s lease back and makes the work due at `next_attempt_at` (`DEFER_CLAIM`), if its token
    /// still holds it; a lost lease is left alone.
    async fn defer_claim<'e>(
        executor: impl Executor<'e, Database = Self>,
        claim: &ClaimedWork,
        next_attempt_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(DEFER_CLAIM)
            .bind(DbId(claim.verification_id))
            .bind(DbId(claim.lease_token))
            .bind(DbTime::new(next_attempt_at))
            .execute(executor)
            .await?;
        Ok(())
    }

    /// Asks for a new carrier attempt on verification `id` in `tx` (see [`super::Store::request_retry`]), commits,
    /// and says what it did.
    async fn request_retry(
        mut tx: Transaction<'_, Self>,
        id: uuid::Uuid,
        route: Option<&RouteChoice>,
        trace_context: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<RetryOutcome, StoreError> {
        let now_db = DbTime::new(now);
        let reopened: Option<DbId> = sqlx::query_scalar(REOPEN)
            .bind(DbId(id))
            .bind(now_db)
            .bind("a new carrier attempt was requested")
            .bind(route.map(|r| r.carrier.clone()))
            .bind(route.map(|r| r.payer_id.clone()))
            .bind(trace_context)
            .fetch_optional(&mut *tx)
            .await?;
        if reopened.is_some() {
            // Last: the cursor (see `record_attempt`).
            sqlx::query(Self::BUMP_CURSOR).bind(DbId(id)).execute(&mut *tx).await?;
            return Ok(Self::read_one(tx, SELECT_VERIFICATION, DbId(id))
                .await?
                .map_or(RetryOutcome::NotFound, RetryOutcome::Reopened));
        }
        let hastened: Option<DbId> =
            sqlx::query_scalar(HASTEN).bind(DbId(id)).bind(now_db).fetch_optional(&mut *tx).await?;
        let current = Self::read_one(tx, SELECT_VERIFICATION, DbId(id)).await?;
        Ok(match current {
            None => RetryOutcome::NotFound,
            Some(verification) if hastened.is_some() || verification.status == Status::Pending => {
                RetryOutcome::AlreadyPending(verification)
            }
            Some(verification) => RetryOutcome::NotRetryable(verification),
        })
    }

    /// Number of pending verifications and the creation time of the oldest (`PENDING_SUMMARY`).
    async fn pending_summary<'e>(
        executor: impl Executor<'e, Database = Self>,
    ) -> Result<(u64, Option<OffsetDateTime>), StoreError> {
        let (count, oldest): (i64, Option<DbTime>) = sqlx::query_as(PENDING_SUMMARY).fetch_one(executor).await?;
        Ok((u64::try_from(count).unwrap_or(0), oldest.map(|t| t.0)))
    }
}
