//! PostgreSQL access: the r2d2 pool, the embedded migrations, and a bridge that runs diesel's synchronous
//! queries on tokio's blocking pool.

use std::time::Duration;

use diesel::migration::MigrationSource;
use diesel::pg::{Pg, PgConnection};
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool, PoolError, PooledConnection};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::BigInt;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// Connection pool shared by every handler of a process.
pub type PgPool = Pool<ConnectionManager<PgConnection>>;

/// A connection checked out of [`PgPool`]; goes back to the pool on drop.
pub type PgConn = PooledConnection<ConnectionManager<PgConnection>>;

/// Every migration of `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

/// Advisory lock key held while migrations run ("crm_migr").
const MIGRATION_LOCK_KEY: i64 = 0x6372_6d5f_6d69_6772;

/// How long a checkout waits for a free (or new) connection before giving up.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(5);

/// Failures of the data layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection could be checked out of the pool in time (server down, pool exhausted).
    #[error("database pool: {0}")]
    Pool(#[from] PoolError),
    /// A direct connection could not be opened.
    #[error("database connection: {0}")]
    Connection(#[from] diesel::ConnectionError),
    /// A migration failed to apply or revert.
    #[error("migration: {0}")]
    Migration(String),
    /// The row asked for does not exist.
    #[error("record not found")]
    NotFound,
    /// An insert or update collided with a unique constraint (named when Postgres says which).
    #[error("unique constraint violated: {}", constraint.as_deref().unwrap_or("unknown"))]
    UniqueViolation { constraint: Option<String> },
    /// A referenced row does not exist (or is still referenced).
    #[error("foreign key constraint violated: {}", constraint.as_deref().unwrap_or("unknown"))]
    ForeignKeyViolation { constraint: Option<String> },
    /// A value was refused by a CHECK constraint.
    #[error("check constraint violated: {}", constraint.as_deref().unwrap_or("unknown"))]
    CheckViolation { constraint: Option<String> },
    /// Creating a user whose email (compared case-insensitively) is already taken.
    #[error("a user with this email already exists")]
    EmailTaken,
    /// Hashing a password failed.
    #[error("password hashing: {0}")]
    PasswordHash(String),
    /// The blocking task running the query panicked or was cancelled.
    #[error("blocking database task failed: {0}")]
    Blocking(#[from] tokio::task::JoinError),
    /// Any other query error.
    #[error("query: {0}")]
    Query(#[source] DieselError),
}

impl From<DieselError> for DbError {
    fn from(err: DieselError) -> Self {
        match err {
            DieselError::NotFound => DbError::NotFound,
            DieselError::DatabaseError(kind, ref info) => {
                let constraint = info.constraint_name().map(str::to_owned);
                match kind {
                    DatabaseErrorKind::UniqueViolation => DbError::UniqueViolation { constraint },
                    DatabaseErrorKind::ForeignKeyViolation => {
                        DbError::ForeignKeyViolation { constraint }
                    }
                    DatabaseErrorKind::CheckViolation => DbError::CheckViolation { constraint },
                    _ => DbError::Query(err),
                }
            }
            other => DbError::Query(other),
        }
    }
}

impl DbError {
    /// True when retrying later may succeed (server unreachable, connection lost, serialization conflict);
    /// false for errors that the same input will hit again.
    pub fn is_transient(&self) -> bool {
        match self {
            DbError::Pool(_) | DbError::Connection(_) => true,
            DbError::Query(DieselError::DatabaseError(kind, _)) => matches!(
                kind,
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::SerializationFailure
            ),
            DbError::Query(DieselError::BrokenTransactionManager) => true,
            _ => false,
        }
    }
}

/// Initialises the system OpenSSL, which libpq uses for TLS to Postgres, without its exit-time clean-up.
/// Call it first thing in `main`, before any connection. Otherwise a process that exits while a pool thread
/// is still opening a connection can crash inside OpenSSL's `atexit` handler: a `workers` process stopped by
/// SIGTERM a second after it started ended with SIGSEGV, freed OpenSSL state under a running TLS handshake.
pub fn init_tls() {
    openssl_sys::init();
}

/// Builds the pool: checkouts wait at most 5 s and every connection is tested before it is handed out.
/// Opens one connection eagerly so a wrong URL fails here, at boot.
pub fn build_pool(url: &str, size: u32) -> Result<PgPool, DbError> {
    let size = size.max(1);
    let pool = Pool::builder()
        .max_size(size)
        .min_idle(Some(1))
        .connection_timeout(CONNECTION_TIMEOUT)
        .test_on_check_out(true)
        .build(ConnectionManager::<PgConnection>::new(url))?;
    Ok(pool)
}

/// Applies every pending migration and returns the names of those applied, oldest first. Replicas booting
/// together take turns on an advisory lock, so each migration runs once.
pub fn run_migrations(conn: &mut PgConnection) -> Result<Vec<String>, DbError> {
    let applied = with_migration_lock(conn, |conn| {
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| DbError::Migration(e.to_string()))?;
        Ok(applied.iter().map(ToString::to_string).collect::<Vec<_>>())
    })?;
    migration_names(&applied)
}

/// Reverts every applied migration and returns their names, newest first (tests and drills only).
pub fn revert_all_migrations(conn: &mut PgConnection) -> Result<Vec<String>, DbError> {
    let reverted = with_migration_lock(conn, |conn| {
        let reverted = conn
            .revert_all_migrations(MIGRATIONS)
            .map_err(|e| DbError::Migration(e.to_string()))?;
        Ok(reverted.iter().map(ToString::to_string).collect::<Vec<_>>())
    })?;
    migration_names(&reverted)
}

/// Runs `f` holding the session advisory lock that serialises migrations on this database. Each migration
/// commits on its own, so a transaction-scoped lock would not cover the whole run.
fn with_migration_lock<T>(
    conn: &mut PgConnection,
    f: impl FnOnce(&mut PgConnection) -> Result<T, DbError>,
) -> Result<T, DbError> {
    diesel::sql_query("SELECT pg_advisory_lock($1)")
        .bind::<BigInt, _>(MIGRATION_LOCK_KEY)
        .execute(conn)?;
    let result = f(conn);
    let unlocked = diesel::sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<BigInt, _>(MIGRATION_LOCK_KEY)
        .execute(conn);
    let value = result?;
    unlocked?;
    Ok(value)
}

/// Maps migration versions to the full directory names (`2026-11-21-000002_create_teams`), keeping order.
fn migration_names(versions: &[String]) -> Result<Vec<String>, DbError> {
    let known = MigrationSource::<Pg>::migrations(&MIGRATIONS)
        .map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(versions
        .iter()
        .map(|version| {
            known
                .iter()
                .find(|m| m.name().version().to_string() == *version)
                .map_or_else(|| version.clone(), |m| m.name().to_string())
        })
        .collect())
}

/// Checks a connection out on tokio's blocking pool and runs `f` with it: diesel is synchronous and must
/// not stall the async executor.
pub async fn run_blocking<F, T>(pool: &PgPool, f: F) -> Result<T, DbError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, DbError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await?
}

/// Double-quotes an identifier for SQL.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The same server URL with another database: `postgres://u@h:5432/x?sslmode=y` -> `.../name?sslmode=y`.
pub fn with_database(url: &str, database: &str) -> String {
    let (without_query, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = without_query.find("://").map_or(0, |i| i + 3);
    let server = match without_query[authority_start..].find('/') {
        Some(slash) => &without_query[..authority_start + slash],
        None => without_query,
    };
    match query {
        Some(query) => format!("{server}/{database}?{query}"),
        None => format!("{server}/{database}"),
    }
}

#[cfg(test)]
mod url_tests {
    use super::with_database;

    #[test]
    fn with_database_replaces_only_the_path() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "t2"),
            "postgres://u:p@h/t2?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "t3"),
            "postgres://h:5432/t3"
        );
        assert_eq!(
            with_database("postgresql:///db?host=/run/postgresql", "t4"),
            "postgresql:///t4?host=/run/postgresql"
        );
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
    }
}
