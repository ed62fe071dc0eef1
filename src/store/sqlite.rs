//! The SQLite store: the embedded default, one database file under the data directory.
//!
//! SQLite allows one writer at a time. Writes go through a pool of exactly one connection, so they queue in
//! the process (fairly, without busy-wait polling) instead of contending for the file lock, and each write
//! transaction starts with `BEGIN IMMEDIATE`: it takes the write lock up front, so a read-then-write transaction
//! can never deadlock on a lock upgrade against another process (the CLI's `migrate` or `submit` on the same
//! file); `busy_timeout` covers those waits. Reads use a separate pool of `query_only` connections, which WAL
//! lets run alongside the writer. Because writes are serialised, the change cursor is simply the largest one
//! plus one, taken inside the write transaction.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Sqlite};
use time::OffsetDateTime;
use uuid::Uuid;

use super::rows::{
    AttemptRow, AttemptValues, DbId, DbTime, LeaseValues, NewVerificationValues, TransitionValues, VerificationRow,
    assemble_page, attempts_of_one, usable_claims,
};
use super::sql::{
    self, APPLY_TRANSITION, CLAIM_ONE, INSERT_ATTEMPT, PENDING_SUMMARY, RELEASE_CLAIM, SELECT_ATTEMPTS,
    SELECT_VERIFICATION, SELECT_VERIFICATION_BY_REQUEST_ID, attempt_columns, bind_attempt, bind_new_verification,
    bind_transition, bump_cursor_sql, insert_verification_sql,
};
use super::{ClaimedWork, InsertOutcome, ListQuery, MAX_LIST_LIMIT, Store, StoreError};
use crate::domain::{CarrierAttempt, NewVerification, Transition, Verification};

/// How long a statement waits for another process's write lock before failing with SQLITE_BUSY.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The migrations of this backend, embedded in the binary.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The next change cursor. Only valid inside a write transaction, where no other writer can interleave.
macro_rules! next_cursor {
    () => {
        "(SELECT COALESCE(MAX(change_cursor), 0) + 1 FROM verifications)"
    };
}

/// Inserts a verification with the next cursor (inside a write transaction).
const INSERT_VERIFICATION: &str = insert_verification_sql!(next_cursor!());

/// Gives a verification the next cursor: the last statement of a write transaction.
const BUMP_CURSOR: &str = bump_cursor_sql!(next_cursor!());

/// Due, pending, unleased verifications, oldest due first (`$1` now, `$2` limit). Leased one by one afterwards,
/// in the same write transaction, so each gets its own token.
const SELECT_DUE: &str = "SELECT id FROM verifications \
     WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_expires_at IS NULL OR lease_expires_at <= $1) \
     ORDER BY next_attempt_at, id LIMIT $2";

/// The SQLite store. Cheap to clone (the pools are shared).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Exactly one connection: every write transaction.
    writer: SqlitePool,
    /// `query_only` connections for reads.
    reader: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating when missing, with its directory) the database a `sqlite://PATH` URL names, in WAL mode
    /// with `synchronous=NORMAL` (durable across process crashes; a power loss may lose the last commits),
    /// foreign keys on and a busy timeout. `max_connections` sizes the read pool; writes use one connection.
    /// Does not migrate.
    pub async fn connect(database_url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(database_url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        create_parent_dir(options.get_filename())?;
        // The writer connects first: it creates the file and switches it to WAL, which a query_only reader
        // could not do.
        let writer = SqlitePoolOptions::new().max_connections(1).connect_with(options.clone()).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .connect_with(options.pragma("query_only", "true"))
            .await?;
        Ok(SqliteStore { writer, reader })
    }

    /// Closes both pools, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Sqlite>, StoreError> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// One verification and its attempts, found by `sql` with `key` as `$1`, from one read snapshot.
    async fn read_one(
        &self,
        sql: &'static str,
        key: impl for<'q> sqlx::Encode<'q, Sqlite> + sqlx::Type<Sqlite> + Send,
    ) -> Result<Option<Verification>, StoreError> {
        let mut tx = self.reader.begin().await?;
        let Some(row) = sqlx::query_as::<_, VerificationRow>(sql).bind(key).fetch_optional(&mut *tx).await? else {
            return Ok(None);
        };
        let attempts = sqlx::query_as::<_, AttemptRow>(SELECT_ATTEMPTS).bind(row.id).fetch_all(&mut *tx).await?;
        tx.commit().await?;
        row.into_verification(attempts_of_one(attempts)?).map(Some)
    }
}

fn create_parent_dir(file: &Path) -> Result<(), StoreError> {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Unavailable(sqlx::Error::Io(e)))
        }
        _ => Ok(()),
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.writer).await?;
        Ok(())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    async fn insert_verification(&self, new: &NewVerification) -> Result<InsertOutcome, StoreError> {
        let values = NewVerificationValues::of(new)?;
        let mut tx = self.begin_write().await?;
        let inserted = bind_new_verification!(sqlx::query_as::<_, VerificationRow>(INSERT_VERIFICATION), values)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        if let Some(row) = inserted {
            return Ok(InsertOutcome::Created(row.into_verification(Vec::new())?));
        }
        // Nothing inserted: the request id (or, for a retried insert, the id) is taken. Writes are serialised,
        // so the row that won is committed and visible now.
        let existing = match &new.request_id {
            Some(request_id) => {
                self.read_one(SELECT_VERIFICATION_BY_REQUEST_ID, request_id.as_str().to_owned()).await?
            }
            None => self.read_one(SELECT_VERIFICATION, DbId(new.id)).await?,
        };
        existing.map(InsertOutcome::Existing).ok_or_else(|| {
            StoreError::Corrupt(format!("verification {}: insert conflicted but no conflicting row exists", new.id))
        })
    }

    async fn get_verification(&self, id: Uuid) -> Result<Option<Verification>, StoreError> {
        self.read_one(SELECT_VERIFICATION, DbId(id)).await
    }

    async fn list_verifications(&self, query: &ListQuery) -> Result<Vec<Verification>, StoreError> {
        let limit = query.limit.min(MAX_LIST_LIMIT);
        if limit == 0 {
            return Ok(Vec::new());
        }
        // No horizon needed: writes are serialised, so cursors commit in order.
        let mut tx = self.reader.begin().await?;
        let rows = sql::list_page_query::<Sqlite>(query, limit, None)
            .build_query_as::<VerificationRow>()
            .fetch_all(&mut *tx)
            .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        // The page's attempts in one query (SQLite has no arrays: an IN list of bound ids).
        let mut attempts_query = QueryBuilder::<Sqlite>::new(concat!(
            "SELECT ",
            attempt_columns!(),
            " FROM verification_attempts WHERE verification_id IN ("
        ));
        let mut ids = attempts_query.separated(", ");
        for row in &rows {
            ids.push_bind(row.id);
        }
        attempts_query.push(") ORDER BY verification_id, attempt_number");
        let attempts = attempts_query.build_query_as::<AttemptRow>().fetch_all(&mut *tx).await?;
        tx.commit().await?;
        assemble_page(rows, attempts)
    }

    async fn claim_due(
        &self,
        worker: &str,
        now: OffsetDateTime,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedWork>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let now_db = DbTime::new(now);
        let mut tx = self.begin_write().await?;
        let due: Vec<DbId> =
            sqlx::query_scalar(SELECT_DUE).bind(now_db).bind(i64::from(limit)).fetch_all(&mut *tx).await?;
        let mut claimed = Vec::with_capacity(due.len());
        for id in due {
            // Each claim gets its own token, so releasing or recording one never touches another.
            let lease_values = LeaseValues::new(now, lease);
            let row = sqlx::query_as::<_, VerificationRow>(CLAIM_ONE)
                .bind(id)
                .bind(lease_values.token)
                .bind(worker)
                .bind(lease_values.expires_at)
                .bind(lease_values.now)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(row) = row {
                claimed.push(row);
            }
        }
        tx.commit().await?;
        Ok(usable_claims(claimed))
    }

    async fn claim_one(
        &self,
        id: Uuid,
        worker: &str,
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<Option<ClaimedWork>, StoreError> {
        let lease_values = LeaseValues::new(now, lease);
        let mut tx = self.begin_write().await?;
        let row = sqlx::query_as::<_, VerificationRow>(CLAIM_ONE)
            .bind(DbId(id))
            .bind(lease_values.token)
            .bind(worker)
            .bind(lease_values.expires_at)
            .bind(lease_values.now)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        row.map(VerificationRow::into_claimed).transpose()
    }

    async fn record_attempt(
        &self,
        claim: &ClaimedWork,
        attempt: &CarrierAttempt,
        transition: &Transition,
        now: OffsetDateTime,
    ) -> Result<Verification, StoreError> {
        let id = DbId(claim.verification_id);
        let values = TransitionValues::of(transition)?;
        let mut tx = self.begin_write().await?;
        let applied: Option<DbId> = bind_transition!(
            sqlx::query_scalar(APPLY_TRANSITION),
            id,
            DbId(claim.lease_token),
            values,
            DbTime::new(now)
        )
        .fetch_optional(&mut *tx)
        .await?;
        if applied.is_none() {
            tx.rollback().await?;
            return Err(StoreError::LeaseLost(claim.verification_id));
        }
        bind_attempt!(sqlx::query(INSERT_ATTEMPT), AttemptValues::of(claim.verification_id, attempt))
            .execute(&mut *tx)
            .await?;
        let attempts = sqlx::query_as::<_, AttemptRow>(SELECT_ATTEMPTS).bind(id).fetch_all(&mut *tx).await?;
        let row = sqlx::query_as::<_, VerificationRow>(BUMP_CURSOR).bind(id).fetch_one(&mut *tx).await?;
        // Commit before decoding: the result is stored even if the updated row then fails to decode.
        tx.commit().await?;
        row.into_verification(attempts_of_one(attempts)?)
    }

    async fn release_claim(&self, claim: &ClaimedWork) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(RELEASE_CLAIM)
            .bind(DbId(claim.verification_id))
            .bind(DbId(claim.lease_token))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn pending_summary(&self) -> Result<(u64, Option<OffsetDateTime>), StoreError> {
        let (count, oldest): (i64, Option<DbTime>) = sqlx::query_as(PENDING_SUMMARY).fetch_one(&self.reader).await?;
        Ok((u64::try_from(count).unwrap_or(0), oldest.map(|t| t.0)))
    }
}
