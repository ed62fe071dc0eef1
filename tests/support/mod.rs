//! Helpers shared by the integration tests: real databases, isolated per test.
//!
//! * SQLite: a real file in a fresh temporary directory (never `sqlite::memory:`, which gives each pooled
//!   connection its own database).
//! * PostgreSQL: the database named by `IV_TEST_POSTGRES_URL`, with a fresh schema per test that is dropped when
//!   the [`SchemaGuard`] goes out of scope. When the variable is unset, PostgreSQL tests print a notice and pass,
//!   except under `CI=true`, where they fail: CI must exercise both stores.
//!
//! Use it from a test file with `mod support;` (each test binary uses a different subset, hence the
//! `dead_code` allowance).
#![allow(dead_code)]

use std::path::Path;

use insurance_verifier::store::{PostgresStore, SqliteStore, Store};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection, PgConnection};
use tempfile::TempDir;
use uuid::Uuid;

/// The environment variable naming the test PostgreSQL database,
/// e.g. `postgres://postgres@127.0.0.1:5432/insurance_verifier_test`.
pub const POSTGRES_URL_ENV: &str = "IV_TEST_POSTGRES_URL";

/// Connections per test store: enough for the concurrency tests, few enough for many tests in parallel.
pub const TEST_POOL_SIZE: u32 = 8;

/// The PostgreSQL URL for tests. `None` (after printing a notice) when `IV_TEST_POSTGRES_URL` is unset;
/// panics instead when `CI=true`, so a CI run cannot silently skip PostgreSQL.
pub fn postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_URL_ENV) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|ci| ci.eq_ignore_ascii_case("true")) => {
            panic!("CI=true but {POSTGRES_URL_ENV} is not set: the PostgreSQL tests must run in CI")
        }
        _ => {
            eprintln!("skipping PostgreSQL tests: {POSTGRES_URL_ENV} not set");
            None
        }
    }
}

/// The `sqlite://` URL of a database file inside `dir` (the file need not exist yet).
pub fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("insurance-verifier.db").display())
}

/// A migrated SQLite store in a fresh temporary directory; the directory (and the database) is deleted when the
/// returned [`TempDir`] is dropped, so keep it alive as long as the store.
pub async fn sqlite_store() -> (SqliteStore, TempDir) {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let store = SqliteStore::connect(&sqlite_url(dir.path()), TEST_POOL_SIZE).await.expect("open the SQLite store");
    store.migrate().await.expect("migrate the SQLite store");
    (store, dir)
}

/// A migrated PostgreSQL store in a fresh schema, or `None` when PostgreSQL tests are skipped (see
/// [`postgres_url`]). The schema is dropped when the returned [`SchemaGuard`] is dropped.
pub async fn postgres_store() -> Option<(PostgresStore, SchemaGuard)> {
    let guard = SchemaGuard::fresh()?;
    let store = PostgresStore::connect_with_schema(guard.url(), TEST_POOL_SIZE, Some(guard.schema()))
        .await
        .expect("connect to the test PostgreSQL database (is it running? does the database exist?)");
    store.migrate().await.expect("migrate the PostgreSQL store");
    Some((store, guard))
}

/// A uniquely named PostgreSQL schema for one test, dropped (with everything in it) on drop, best effort.
///
/// The schema itself is created by whoever connects first with it (`PostgresStore::connect_with_schema`, or the
/// service with `database_schema` set).
#[derive(Debug)]
pub struct SchemaGuard {
    url: String,
    schema: String,
}

impl SchemaGuard {
    /// A new schema name (`iv_test_<uuid>`) in the test database, or `None` when PostgreSQL tests are skipped.
    pub fn fresh() -> Option<Self> {
        let url = postgres_url()?;
        Some(SchemaGuard { url, schema: format!("iv_test_{}", Uuid::now_v7().simple()) })
    }

    /// The test database URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The schema name.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// Connection options for the test database with this schema as the `search_path`.
    pub fn connect_options(&self) -> PgConnectOptions {
        self.url
            .parse::<PgConnectOptions>()
            .expect("IV_TEST_POSTGRES_URL is a valid PostgreSQL URL")
            .options([("search_path", self.schema.as_str())])
    }

    /// A small pool on this schema, for tests that inspect or tamper with rows directly.
    pub async fn pool(&self) -> PgPool {
        PgPoolOptions::new().max_connections(2).connect_with(self.connect_options()).await.expect("connect")
    }
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        // Drop runs inside the test's async runtime, where we cannot block on async work: drop the schema from
        // a helper thread with its own small runtime and wait for it. Failures only leave a stray schema behind.
        let url = self.url.clone();
        let schema = self.schema.clone();
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async move {
                let options = url.parse::<PgConnectOptions>().ok()?;
                let mut conn = PgConnection::connect_with(&options).await.ok()?;
                // Safe to interpolate: the name is ours, `iv_test_` and hex digits.
                let sql = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
                let dropped = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await;
                if let Err(error) = &dropped {
                    eprintln!("could not drop test schema {schema}: {error}");
                }
                conn.close().await.ok()
            })
        });
        let _ = dropper.join();
    }
}
