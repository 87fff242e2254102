//! Durable summaries of finished jobs, written by the workers in batches and read by the dashboard.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;

use crate::db::DbError;
use crate::schema::job_history;

/// A row of `job_history`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = job_history, check_for_backend(diesel::pg::Pg))]
pub struct JobHistory {
    pub job_id: String,
    pub job: String,
    pub queue: String,
    /// `succeeded` or `dead`.
    pub state: String,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: DateTime<Utc>,
    pub duration_ms: Option<i64>,
    pub last_error: Option<String>,
    pub request_id: Option<String>,
}

/// Inserts or updates (a requeued job finishing again) a batch of rows; returns the rows written.
pub fn upsert_batch(conn: &mut PgConnection, rows: &[JobHistory]) -> Result<usize, DbError> {
    if rows.is_empty() {
        return Ok(0);
    }
    Ok(diesel::insert_into(job_history::table)
        .values(rows)
        .on_conflict(job_history::job_id)
        .do_update()
        .set((
            job_history::state.eq(excluded(job_history::state)),
            job_history::attempts.eq(excluded(job_history::attempts)),
            job_history::started_at.eq(excluded(job_history::started_at)),
            job_history::finished_at.eq(excluded(job_history::finished_at)),
            job_history::duration_ms.eq(excluded(job_history::duration_ms)),
            job_history::last_error.eq(excluded(job_history::last_error)),
        ))
        .execute(conn)?)
}

/// [`upsert_batch`] in a transaction that does not wait for the WAL flush (`synchronous_commit = off`):
/// for the workers' history writer, whose rows are a convenience copy of the Redis records.
pub fn upsert_batch_async_commit(
    conn: &mut PgConnection,
    rows: &[JobHistory],
) -> Result<usize, DbError> {
    conn.transaction(|c| {
        diesel::sql_query("SET LOCAL synchronous_commit TO OFF").execute(c)?;
        upsert_batch(c, rows)
    })
}

/// The row of one job, if it finished at least once.
pub fn find(conn: &mut PgConnection, job_id: &str) -> Result<Option<JobHistory>, DbError> {
    Ok(job_history::table
        .find(job_id)
        .select(JobHistory::as_select())
        .first(conn)
        .optional()?)
}

/// Deletes rows finished before `cutoff`; returns how many.
pub fn purge_before(conn: &mut PgConnection, cutoff: DateTime<Utc>) -> Result<usize, DbError> {
    Ok(
        diesel::delete(job_history::table.filter(job_history::finished_at.lt(cutoff)))
            .execute(conn)?,
    )
}
