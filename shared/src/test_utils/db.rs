//! A fresh database per test, cloned from a migrated template.
//!
//! The template is named after a hash of `migrations/`, so a schema change gets a new one. It is built once
//! per server under a Postgres advisory lock (held on the server's maintenance database), under a temporary
//! name renamed into place only when complete: a test process that crashes half-way leaves nothing another
//! process could mistake for a ready template. Cloning (`CREATE DATABASE ... TEMPLATE`) takes milliseconds,
//! so every test, in every nextest process, gets its own database.

use std::sync::OnceLock;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::db::{DbError, PgConn, PgPool, build_pool, quote_ident, run_migrations, with_database};

/// Server used when `DATABASE_URL` is not set (the development machine's).
const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Advisory lock key serialising template builds across processes ("crm_tpl").
const TEMPLATE_LOCK_KEY: i64 = 0x0063_726d_5f74_706c;

/// Bumped when the way templates are built changes, so old templates are not reused.
const TEMPLATE_FORMAT: &str = "v1";

/// Connections per test database pool.
const POOL_SIZE: u32 = 4;

/// A database of its own for one test, dropped (forcibly) when this value is dropped.
pub struct TestDb {
    name: String,
    url: String,
    base_url: String,
    pool: Option<PgPool>,
}

impl TestDb {
    /// A fresh, fully migrated database on the server of `DATABASE_URL`. Panics when that is impossible:
    /// a test without its database cannot run.
    pub fn new() -> Self {
        Self::try_new().unwrap_or_else(|e| panic!("cannot create a test database: {e}"))
    }

    /// Like [`TestDb::new`], returning the error instead of panicking.
    pub fn try_new() -> Result<Self, DbError> {
        let base_url =
            std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned());
        let template = ensure_template(&base_url)?;
        let name = format!("crm_test_{:016x}", rand::random::<u64>());
        let mut admin = PgConnection::establish(&base_url)?;
        admin.batch_execute(&format!(
            "CREATE DATABASE {} TEMPLATE {}",
            quote_ident(&name),
            quote_ident(&template)
        ))?;
        let url = with_database(&base_url, &name);
        let mut db = Self {
            name,
            url,
            base_url,
            pool: None,
        };
        // On failure `db` is dropped here, which drops the database just created.
        db.pool = Some(build_pool(&db.url, POOL_SIZE)?);
        Ok(db)
    }

    /// Name of the database.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Connection URL of the database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A pool on the database.
    pub fn pool(&self) -> &PgPool {
        match &self.pool {
            Some(pool) => pool,
            None => unreachable!("the pool is only taken while dropping"),
        }
    }

    /// A connection out of [`TestDb::pool`]; panics when none can be had.
    pub fn conn(&self) -> PgConn {
        self.pool()
            .get()
            .unwrap_or_else(|e| panic!("cannot check out a test connection: {e}"))
    }

    /// Creates a user with `role` and a throwaway password (the owner of mailboxes in tests); panics on
    /// failure.
    pub fn user(&self, email: &str, role: crate::models::user::Role) -> crate::models::UserId {
        crate::models::user::create_user(&mut self.conn(), email, "pw-pw-pw-pw", role, None)
            .unwrap_or_else(|e| panic!("cannot create test user: {e}"))
            .id
    }
}

impl Default for TestDb {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Close our own connections first; FORCE ends any a test leaked elsewhere.
        drop(self.pool.take());
        let dropped = PgConnection::establish(&self.base_url)
            .map_err(DbError::from)
            .and_then(|mut conn| {
                conn.batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    quote_ident(&self.name)
                ))
                .map_err(DbError::from)
            });
        if let Err(e) = dropped {
            eprintln!("warning: could not drop test database {}: {e}", self.name);
        }
    }
}

/// Returns the name of the migrated template for the current migrations, building it when missing.
fn ensure_template(base_url: &str) -> Result<String, DbError> {
    static READY: OnceLock<String> = OnceLock::new();
    if let Some(name) = READY.get() {
        return Ok(name.clone());
    }
    let name = format!("crm_tpl_{}", migrations_hash());
    let mut conn = PgConnection::establish(base_url)?;
    if !database_exists(&mut conn, &name)? {
        diesel::sql_query("SELECT pg_advisory_lock($1)")
            .bind::<BigInt, _>(TEMPLATE_LOCK_KEY)
            .execute(&mut conn)?;
        let built = build_template_if_missing(&mut conn, base_url, &name);
        let unlocked = diesel::sql_query("SELECT pg_advisory_unlock($1)")
            .bind::<BigInt, _>(TEMPLATE_LOCK_KEY)
            .execute(&mut conn);
        built?;
        unlocked?;
    }
    Ok(READY.get_or_init(|| name).clone())
}

/// Under the advisory lock: builds `name` unless another process did while we waited.
fn build_template_if_missing(
    conn: &mut PgConnection,
    base_url: &str,
    name: &str,
) -> Result<(), DbError> {
    if database_exists(conn, name)? {
        return Ok(());
    }
    let building = format!("{name}_build");
    let quoted = quote_ident(&building);
    // Leftover of a process that died while building.
    conn.batch_execute(&format!("DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))?;
    conn.batch_execute(&format!("CREATE DATABASE {quoted} TEMPLATE template0"))?;
    {
        let mut target = PgConnection::establish(&with_database(base_url, &building))?;
        run_migrations(&mut target)?;
    }
    conn.batch_execute(&format!(
        "ALTER DATABASE {quoted} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false; \
         ALTER DATABASE {quoted} RENAME TO {}",
        quote_ident(name)
    ))?;
    Ok(())
}

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    exists: bool,
}

fn database_exists(conn: &mut PgConnection, name: &str) -> Result<bool, DbError> {
    let row: Exists =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
            .bind::<Text, _>(name)
            .get_result(conn)?;
    Ok(row.exists)
}

/// The template's suffix: the format version and the hash of the migrations embedded in this build
/// (`build.rs`), so the name always stands for the migrations the template is built from, wherever the
/// binary runs.
fn migrations_hash() -> String {
    format!("{TEMPLATE_FORMAT}{}", env!("CRM_MIGRATIONS_HASH"))
}
