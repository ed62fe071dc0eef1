//! The PostgreSQL store: one database shared by several replicas.
//!
//! Claims lease pending work with `FOR UPDATE SKIP LOCKED` in batches, so replicas never wait for each other's
//! claims and never hold the same verification at once; a lease expires, so work held by a dead replica is
//! taken over. Recording a result checks the lease token in the same transaction that writes it.
//!
//! # The change cursor
//! Pollers read `change_cursor > X ORDER BY change_cursor` and must never miss a change. A sequence alone does
//! not give that: a transaction that drew 5 may commit after one that drew 6 was already read, and a poller that
//! moved past 6 never sees 5.
//!
//! The obvious fix, drawing the cursor under an exclusive advisory lock held until commit, orders commits but
//! also serialises them: every write then waits for the previous one's WAL flush, and PostgreSQL can no longer
//! flush many commits at once. Measured on the 2-core development machine (pgbench, 32 clients, one-row inserts):
//! about 5,000 commits/s without the lock, 350-480/s with it.
//!
//! So the lock is a reader/writer lock instead (the two functions in `migrations/postgres/0001_verifications.sql`):
//! * a writer draws its cursor with `verification_next_cursor()`, which takes the cursor lock in *shared* mode
//!   (held until the writer commits) and then calls `nextval`. Writers never wait for each other. Drawing happens
//!   in the writer's last statement (the insert itself, or the cursor update after everything else), so a writer
//!   holding the lock waits for nothing but its own commit and cannot be part of a deadlock;
//! * a list first calls `verification_cursor_horizon()` in a transaction of its own: it takes the lock in
//!   *exclusive* mode, which is granted once every writer holding a drawn cursor has committed or rolled back, and
//!   returns the sequence's last value. Every cursor up to that horizon is settled, and every later one will be
//!   larger, so the list reads `change_cursor > X AND change_cursor <= horizon` in a fresh snapshot and a poller
//!   never skips a change.
//!
//! The cost falls on lists: each waits for the commits in flight (about one commit's time) and holds new writers
//! back for that long. With a poller every 10 ms against 32 writing clients, writes lost about 7% of their
//! throughput and the horizon took about 7 ms. Reads by id and claims take no part in it.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection, PgConnection, Postgres};
use time::OffsetDateTime;
use uuid::Uuid;

use super::rows::{
    AttemptRow, DbId, DbTime, LeaseValues, NewVerificationValues, TransitionValues, VerificationRow, assemble_page,
    usable_claims,
};
use super::shared::StoreDb;
use super::sql::{
    SELECT_VERIFICATION, attempt_columns, bump_cursor_sql, insert_verification_sql, verification_columns,
};
use super::{ClaimFilter, ClaimedWork, InsertOutcome, ListQuery, MAX_LIST_LIMIT, RetryOutcome, Store, StoreError};
use crate::domain::{CarrierAttempt, NewVerification, RouteChoice, Transition, Verification};

/// How long a statement waits for a pooled connection before the store answers `Unavailable`. sqlx's default
/// (30 s) held every call for half a minute while PostgreSQL was down before the caller got `UNAVAILABLE`; with
/// the database up, a wait this long means the pool is exhausted and the caller had better retry elsewhere.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// The migrations of this backend, embedded in the binary.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The next change cursor: see the module documentation and the migration.
macro_rules! next_cursor {
    () => {
        "verification_next_cursor()"
    };
}

impl StoreDb for Postgres {
    /// Inserts a verification and draws its cursor in one statement, which runs in a transaction of its own.
    const INSERT_VERIFICATION: &'static str = insert_verification_sql!(next_cursor!());

    /// Draws a new cursor for a verification: the last statement of a writing transaction.
    const BUMP_CURSOR: &'static str = bump_cursor_sql!(next_cursor!());
}

/// The cursor below which no change can still appear: call it in a transaction of its own.
const CURSOR_HORIZON: &str = "SELECT verification_cursor_horizon()";

/// Leases up to `$2` due verifications for `$3` until `$4`, skipping rows another transaction is claiming or
/// recording right now, and those of the carriers in `$5` whose round began after `$6`. `$1` is now.
const CLAIM_DUE: &str = concat!(
    "WITH due AS (SELECT id AS due_id FROM verifications ",
    "WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_expires_at IS NULL OR lease_expires_at <= $1) ",
    "AND (NOT (carrier = ANY($5)) OR COALESCE(round_started_at, created_at) <= $6) ",
    "ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED) ",
    "UPDATE verifications SET lease_token = gen_random_uuid(), lease_owner = $3, lease_expires_at = $4 ",
    "FROM due WHERE id = due_id RETURNING ",
    verification_columns!()
);

/// The attempts of a page of verifications.
const SELECT_PAGE_ATTEMPTS: &str = concat!(
    "SELECT ",
    attempt_columns!(),
    " FROM verification_attempts WHERE verification_id = ANY($1) ORDER BY verification_id, attempt_number"
);

/// A consistent snapshot for reads that take more than one statement (a row and its attempts).
const BEGIN_READ: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

/// The PostgreSQL store. Cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to the database a `postgres://` URL names, using the connection's default `search_path`.
    /// Does not migrate.
    pub async fn connect(database_url: &str, max_connections: u32) -> Result<Self, StoreError> {
        Self::connect_with_schema(database_url, max_connections, None).await
    }

    /// Connects like [`PostgresStore::connect`]; with `schema`, first creates that schema when missing and then
    /// sets it as the `search_path` of every pooled connection, so the tables (and the migrations' bookkeeping)
    /// live there. Lets several deployments or test runs share one database. The name must be a plain
    /// lower-case identifier (`[a-z_][a-z0-9_]*`, at most 63 characters).
    pub async fn connect_with_schema(
        database_url: &str,
        max_connections: u32,
        schema: Option<&str>,
    ) -> Result<Self, StoreError> {
        let mut options = PgConnectOptions::from_str(database_url)?;
        if let Some(schema) = schema {
            validate_schema_name(schema)?;
            create_schema(&options, schema).await?;
            options = options.options([("search_path", schema)]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        Ok(PostgresStore { pool })
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A read-only transaction with one snapshot ([`BEGIN_READ`]) for reads of more than one statement.
    async fn begin_read(&self) -> Result<sqlx::Transaction<'static, Postgres>, StoreError> {
        Ok(self.pool.begin_with(BEGIN_READ).await?)
    }
}

/// Refuses anything but a plain lower-case identifier: the name is written into SQL (`CREATE SCHEMA`) and into
/// the connection's `search_path`, where it cannot be a bound parameter.
fn validate_schema_name(schema: &str) -> Result<(), StoreError> {
    let mut chars = schema.chars();
    let valid = schema.len() <= 63
        && chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(StoreError::Query(sqlx::Error::Configuration(
            "database schema must be a lower-case identifier: [a-z_][a-z0-9_]*, at most 63 characters".into(),
        )))
    }
}

async fn create_schema(options: &PgConnectOptions, schema: &str) -> Result<(), StoreError> {
    let mut conn = PgConnection::connect_with(options).await?;
    // Safe to interpolate: validate_schema_name allows only [a-z0-9_].
    let sql = format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"");
    let created = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await;
    // Replicas starting together may race: IF NOT EXISTS is not atomic, the loser gets unique_violation
    // (23505) or duplicate_schema (42P06). Either way the schema exists.
    let result = match created {
        Err(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("23505" | "42P06")) => Ok(()),
        other => other.map(|_| ()),
    };
    conn.close().await?;
    Ok(result?)
}

#[async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        // sqlx holds a database-wide advisory lock while migrating, so replicas starting together take turns.
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn insert_verification(&self, new: &NewVerification) -> Result<InsertOutcome, StoreError> {
        let values = NewVerificationValues::of(new)?;
        // One statement in its own transaction. A concurrent insert with the same request id waits (in the unique
        // index) for the first one to commit or roll back; once committed, ON CONFLICT inserts nothing.
        let inserted = Postgres::insert_row(&self.pool, values).await?;
        if let Some(row) = inserted {
            return Ok(InsertOutcome::Created(row.into_verification(Vec::new())?));
        }
        // ON CONFLICT only skips a row that conflicts with a committed one, so a fresh read finds it.
        Postgres::existing_after_conflict(self.begin_read().await?, new).await
    }

    async fn get_verification(&self, id: Uuid) -> Result<Option<Verification>, StoreError> {
        Postgres::read_one(self.begin_read().await?, SELECT_VERIFICATION, DbId(id)).await
    }

    async fn list_verifications(&self, query: &ListQuery) -> Result<Vec<Verification>, StoreError> {
        let limit = query.limit.min(MAX_LIST_LIMIT);
        if limit == 0 {
            return Ok(Vec::new());
        }
        // The horizon first, in its own transaction (so its exclusive lock is released at once); then the page,
        // in a snapshot taken after it, which therefore sees every change up to the horizon.
        let horizon: i64 = sqlx::query_scalar(CURSOR_HORIZON).fetch_one(&self.pool).await?;
        if horizon <= query.after_cursor {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_read().await?;
        let rows = Postgres::page_rows(&mut tx, query, limit, Some(horizon)).await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Uuid> = rows.iter().map(|row| row.id.0).collect();
        let attempts = sqlx::query_as::<_, AttemptRow>(SELECT_PAGE_ATTEMPTS).bind(ids).fetch_all(&mut *tx).await?;
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
        if limit == 0 {
            return Ok(Vec::new());
        }
        let lease_values = LeaseValues::new(now, lease);
        let rows = sqlx::query_as::<_, VerificationRow>(CLAIM_DUE)
            .bind(lease_values.now)
            .bind(i64::from(limit))
            .bind(worker)
            .bind(lease_values.expires_at)
            .bind(&filter.skip_carriers)
            .bind(DbTime::new(filter.overdue_before.unwrap_or(OffsetDateTime::UNIX_EPOCH)))
            .fetch_all(&self.pool)
            .await?;
        Ok(usable_claims(rows))
    }

    async fn claim_one(
        &self,
        id: Uuid,
        worker: &str,
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<Option<ClaimedWork>, StoreError> {
        let lease_values = LeaseValues::new(now, lease);
        // A plain UPDATE: if another transaction is claiming or recording this row right now, it waits for it
        // and then re-checks the conditions against the committed row.
        let row = Postgres::claim_row(&self.pool, DbId(id), worker, &lease_values).await?;
        row.map(VerificationRow::into_claimed).transpose()
    }

    async fn record_attempt(
        &self,
        claim: &ClaimedWork,
        attempt: &CarrierAttempt,
        transition: &Transition,
        now: OffsetDateTime,
    ) -> Result<Verification, StoreError> {
        let values = TransitionValues::of(transition)?;
        // A plain read-committed transaction: the lease check row-locks the verification until commit (see
        // `StoreDb::record_attempt`).
        Postgres::record_attempt(self.pool.begin().await?, claim, Some(attempt), values, now).await
    }

    async fn close_claim(
        &self,
        claim: &ClaimedWork,
        transition: &Transition,
        now: OffsetDateTime,
    ) -> Result<Verification, StoreError> {
        let values = TransitionValues::of(transition)?;
        Postgres::record_attempt(self.pool.begin().await?, claim, None, values, now).await
    }

    async fn defer_claim(&self, claim: &ClaimedWork, next_attempt_at: OffsetDateTime) -> Result<(), StoreError> {
        // One statement, in a transaction of its own.
        Postgres::defer_claim(&self.pool, claim, next_attempt_at).await
    }

    async fn request_retry(
        &self,
        id: Uuid,
        route: Option<&RouteChoice>,
        trace_context: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<RetryOutcome, StoreError> {
        // Read committed: the reopen statement locks the row; the re-read after it sees our own write.
        Postgres::request_retry(self.pool.begin().await?, id, route, trace_context, now).await
    }

    async fn release_claim(&self, claim: &ClaimedWork) -> Result<(), StoreError> {
        // One statement, in a transaction of its own.
        Postgres::release_claim(&self.pool, claim).await
    }

    async fn pending_summary(&self) -> Result<(u64, Option<OffsetDateTime>), StoreError> {
        Postgres::pending_summary(&self.pool).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_lower_case_identifiers() {
        for good in ["iv", "_t", "iv_test_0123abcd", &"a".repeat(63)] {
            assert!(validate_schema_name(good).is_ok(), "{good}");
        }
        for bad in ["", "1abc", "Public", "a-b", "a\"b", "a;drop", &"a".repeat(64)] {
            assert!(validate_schema_name(bad).is_err(), "{bad}");
        }
    }
}
