//! The run's own Postgres database.

use anyhow::Context;
use diesel::{Connection, PgConnection};
use shared::scratch_db::ScratchDb;

/// Creates and migrates `crm_bench_<run>` on the server of `admin_url` (the role needs CREATEDB): the
/// workers write every finished job to `job_history` and the API signs viewers in against `users`.
pub fn create(admin_url: &str, run: &str) -> anyhow::Result<ScratchDb> {
    let db = ScratchDb::create(admin_url, &format!("crm_bench_{run}"), None)
        .context("creating the bench database (the role needs CREATEDB)")?;
    let mut conn = PgConnection::establish(&db.url()).context("bench database")?;
    shared::db::run_migrations(&mut conn)?;
    Ok(db)
}

/// Rows in `job_history`.
pub fn history_rows(url: &str) -> anyhow::Result<u64> {
    use diesel::RunQueryDsl;
    let mut conn = PgConnection::establish(url).context("bench database")?;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let c: Count =
        diesel::sql_query("SELECT count(*) AS n FROM job_history").get_result(&mut conn)?;
    Ok(u64::try_from(c.n).unwrap_or(0))
}
