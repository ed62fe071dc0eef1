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
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Sqlite};
use time::OffsetDateTime;
use tokio::sync::{Semaphore, SemaphorePermit};
use uuid::Uuid;

use super::rows::{
    AttemptRow, DbId, DbTime, LeaseValues, NewVerificationValues, TransitionValues, VerificationRow, assemble_page,
    usable_claims,
};
use super::shared::StoreDb;
use super::sql::{SELECT_VERIFICATION, attempt_columns, bump_cursor_sql, insert_verification_sql};
use super::{ClaimFilter, ClaimedWork, InsertOutcome, ListQuery, MAX_LIST_LIMIT, RetryOutcome, Store, StoreError};
use crate::domain::{CarrierAttempt, NewVerification, RouteChoice, Transition, Verification};

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

impl StoreDb for Sqlite {
    /// Inserts a verification with the next cursor (inside a write transaction).
    const INSERT_VERIFICATION: &'static str = insert_verification_sql!(next_cursor!());

    /// Gives a verification the next cursor: the last statement of a write transaction.
    const BUMP_CURSOR: &'static str = bump_cursor_sql!(next_cursor!());
}

/// Due, pending, unleased verifications, oldest due first (`$1` now, `$2` limit), except those of the carriers in
/// the JSON array `$3` whose round began after `$4`. Leased one by one afterwards, in the same write transaction,
/// so each gets its own token.
const SELECT_DUE: &str = "SELECT id FROM verifications \
     WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_expires_at IS NULL OR lease_expires_at <= $1) \
     AND (carrier NOT IN (SELECT value FROM json_each($3)) OR COALESCE(round_started_at, created_at) <= $4) \
     ORDER BY next_attempt_at, id LIMIT $2";

/// The SQLite store. Cheap to clone (the pools are shared).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Exactly one connection: every write transaction.
    writer: SqlitePool,
    /// `query_only` connections for reads.
    reader: SqlitePool,
    /// Background writes (the dispatcher's claims, results, releases) queue here, one at a time, before they
    /// queue for the writer connection: a submit, which a person is waiting for, then waits behind at most one
    /// background write instead of behind every result the dispatcher has ready.
    background: Arc<Semaphore>,
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
        Ok(SqliteStore { writer, reader, background: Arc::new(Semaphore::new(1)) })
    }

    /// A place in the background write queue (see `background`). The semaphore is never closed.
    async fn background_turn(&self) -> Option<SemaphorePermit<'_>> {
        self.background.acquire().await.ok()
    }

    /// Closes both pools, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Sqlite>, StoreError> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// A read transaction on a `query_only` connection: one snapshot for reads of more than one statement.
    async fn begin_read(&self) -> Result<sqlx::Transaction<'static, Sqlite>, StoreError> {
        Ok(self.reader.begin().await?)
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
        // One statement in its own (implicit) transaction: the insert draws its cursor in the same statement, and
        // the single writer connection serialises it with every other write. Without BEGIN and COMMIT a submit
        // costs one round trip to the connection's thread instead of three.
        let inserted = Sqlite::insert_row(&self.writer, values).await?;
        if let Some(row) = inserted {
            return Ok(InsertOutcome::Created(row.into_verification(Vec::new())?));
        }
        // Nothing inserted: the request id (or, for a retried insert, the id) is taken. Writes are serialised,
        // so the row that won is committed and visible now.
        Sqlite::existing_after_conflict(self.begin_read().await?, new).await
    }

    async fn get_verification(&self, id: Uuid) -> Result<Option<Verification>, StoreError> {
        Sqlite::read_one(self.begin_read().await?, SELECT_VERIFICATION, DbId(id)).await
    }

    async fn list_verifications(&self, query: &ListQuery) -> Result<Vec<Verification>, StoreError> {
        let limit = query.limit.min(MAX_LIST_LIMIT);
        if limit == 0 {
            return Ok(Vec::new());
        }
        // No horizon needed: writes are serialised, so cursors commit in order.
        let mut tx = self.begin_read().await?;
        let rows = Sqlite::page_rows(&mut tx, query, limit, None).await?;
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

    async fn claim_due_filtered(
        &self,
        worker: &str,
        now: OffsetDateTime,
        lease: Duration,
        limit: u32,
        filter: &ClaimFilter,
    ) -> Result<Vec<ClaimedWork>, StoreError> {
        let _turn = self.background_turn().await;
        if limit == 0 {
            return Ok(Vec::new());
        }
        let now_db = DbTime::new(now);
        // Carrier ids are our own directory's (plain text); JSON keeps the statement's shape fixed.
        let skipped = serde_json::Value::from(filter.skip_carriers.clone()).to_string();
        let overdue_before = DbTime::new(filter.overdue_before.unwrap_or(OffsetDateTime::UNIX_EPOCH));
        let mut tx = self.begin_write().await?;
        let due: Vec<DbId> = sqlx::query_scalar(SELECT_DUE)
            .bind(now_db)
            .bind(i64::from(limit))
            .bind(skipped)
            .bind(overdue_before)
            .fetch_all(&mut *tx)
            .await?;
        let mut claimed = Vec::with_capacity(due.len());
        for id in due {
            // Each claim gets its own token, so releasing or recording one never touches another.
            let lease_values = LeaseValues::new(now, lease);
            if let Some(row) = Sqlite::claim_row(&mut *tx, id, worker, &lease_values).await? {
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
        let row = Sqlite::claim_row(&mut *tx, DbId(id), worker, &lease_values).await?;
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
        let _turn = self.background_turn().await;
        let values = TransitionValues::of(transition)?;
        Sqlite::record_attempt(self.begin_write().await?, claim, Some(attempt), values, now).await
    }

    async fn close_claim(
        &self,
        claim: &ClaimedWork,
        transition: &Transition,
        now: OffsetDateTime,
    ) -> Result<Verification, StoreError> {
        let _turn = self.background_turn().await;
        let values = TransitionValues::of(transition)?;
        Sqlite::record_attempt(self.begin_write().await?, claim, None, values, now).await
    }

    async fn defer_claim(&self, claim: &ClaimedWork, next_attempt_at: OffsetDateTime) -> Result<(), StoreError> {
        let _turn = self.background_turn().await;
        let mut tx = self.begin_write().await?;
        Sqlite::defer_claim(&mut *tx, claim, next_attempt_at).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn request_retry(
        &self,
        id: Uuid,
        route: Option<&RouteChoice>,
        trace_context: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<RetryOutcome, StoreError> {
        Sqlite::request_retry(self.begin_write().await?, id, route, trace_context, now).await
    }

    async fn release_claim(&self, claim: &ClaimedWork) -> Result<(), StoreError> {
        let _turn = self.background_turn().await;
        let mut tx = self.begin_write().await?;
        Sqlite::release_claim(&mut *tx, claim).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn pending_summary(&self) -> Result<(u64, Option<OffsetDateTime>), StoreError> {
        Sqlite::pending_summary(&self.reader).await
    }
}
