//! A database of its own for each run, dropped at the end: the job history starts empty, as the dedicated
//! Redis does, so a run's figures do not depend on how many earlier runs wrote to the same table (the
//! history writer's Postgres CPU per row grows with the table and its indexes).

use anyhow::Context;
use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use shared::db::{quote_ident, run_migrations, with_database};

pub struct ScratchDb {
    admin_url: String,
    name: String,
    /// The scratch database's URL, migrated.
    pub url: String,
}

impl ScratchDb {
    /// Creates `crm_bench_<run>` on the server of `admin_url` and applies the migrations.
    pub fn create(admin_url: &str, run: &str) -> anyhow::Result<Self> {
        let name = format!("crm_bench_{run}");
        let mut admin = PgConnection::establish(admin_url).context("bench database server")?;
        admin
            .batch_execute(&format!("CREATE DATABASE {}", quote_ident(&name)))
            .context("creating the bench database (the role needs CREATEDB)")?;
        let db = Self {
            admin_url: admin_url.to_owned(),
            url: with_database(admin_url, &name),
            name,
        };
        let mut conn = PgConnection::establish(&db.url).context("bench database")?;
        run_migrations(&mut conn)?;
        Ok(db)
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        let dropped = PgConnection::establish(&self.admin_url).and_then(|mut c| {
            c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                quote_ident(&self.name)
            ))
            .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))
        });
        if let Err(e) = dropped {
            eprintln!("bench: could not drop database {}: {e}", self.name);
        }
    }
}
