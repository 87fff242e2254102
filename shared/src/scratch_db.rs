//! A database that lives for one task (a backup's restore check, a benchmark run): created on the server
//! of an admin URL, dropped with `FORCE` by [`ScratchDb::drop_now`] or, if abandoned, when the value is
//! dropped (in the background when a Tokio runtime is there, so an async caller never blocks).

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use crate::db::{quote_ident, with_database};

/// Why a scratch database could not be created or dropped.
#[derive(Debug, thiserror::Error)]
pub enum ScratchError {
    #[error("connecting to the database server: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("{0}")]
    Sql(#[from] diesel::result::Error),
}

/// A database of its own, removed when done.
pub struct ScratchDb {
    admin_url: String,
    name: String,
    dropped: bool,
}

impl ScratchDb {
    /// Creates database `name` on the server of `admin_url` (blocking), from `template` when given.
    pub fn create(
        admin_url: &str,
        name: &str,
        template: Option<&str>,
    ) -> Result<Self, ScratchError> {
        let mut admin = PgConnection::establish(admin_url)?;
        let template = template
            .map(|t| format!(" TEMPLATE {}", quote_ident(t)))
            .unwrap_or_default();
        admin.batch_execute(&format!("CREATE DATABASE {}{template}", quote_ident(name)))?;
        Ok(Self {
            admin_url: admin_url.to_owned(),
            name: name.to_owned(),
            dropped: false,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Connection URL of the scratch database (holds the password, if any: never log it).
    pub fn url(&self) -> String {
        with_database(&self.admin_url, &self.name)
    }

    /// Drops the database now (blocking), ending any connection still open to it.
    pub fn drop_now(mut self) -> Result<(), ScratchError> {
        self.dropped = true;
        drop_database(&self.admin_url, &self.name)
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        let work = move || {
            if let Err(e) = drop_database(&url, &name) {
                tracing::warn!(error = %e, "could not drop an abandoned scratch database");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => drop(handle.spawn_blocking(work)),
            Err(_) => work(),
        }
    }
}

fn drop_database(admin_url: &str, name: &str) -> Result<(), ScratchError> {
    let mut conn = PgConnection::establish(admin_url)?;
    conn.batch_execute(&format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        quote_ident(name)
    ))?;
    Ok(())
}
