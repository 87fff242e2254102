//! Durable summaries of finished jobs, written by the workers in batches and read by the dashboard.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::DbError;
use crate::models::{TeamId, UserId};
use crate::schema::{job_history, users};

/// A row of `job_history`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize)]
// NULL for `None` (no column has a default): what `COPY` needs.
#[diesel(table_name = job_history, check_for_backend(diesel::pg::Pg), treat_none_as_default_value = false)]
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
    /// Who enqueued the job; `None` for the system (cron schedules, fan-out).
    pub actor_user_id: Option<UserId>,
    /// What the job touched, e.g. `email_account:7`.
    pub resource: Option<String>,
    /// A dead job's last error was permanent (retrying could not help) rather than the attempts running
    /// out: the event is `job.failed` instead of `job.dead`.
    pub permanent: bool,
}

/// One statement for any batch size: one array per column, unnested into rows.
const UPSERT: &str = "INSERT INTO job_history (job_id, job, queue, state, attempts, created_at, started_at, \
    finished_at, duration_ms, last_error, request_id, actor_user_id, resource, permanent) \
    SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::int4[], $6::timestamptz[], \
    $7::timestamptz[], $8::timestamptz[], $9::int8[], $10::text[], $11::text[], $12::int8[], $13::text[], \
    $14::bool[]) \
    ON CONFLICT (job_id) DO UPDATE SET state = EXCLUDED.state, attempts = EXCLUDED.attempts, \
    started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at, \
    duration_ms = EXCLUDED.duration_ms, last_error = EXCLUDED.last_error, permanent = EXCLUDED.permanent";

/// Inserts or updates (a requeued job finishing again) a batch of rows; returns the rows written. When a
/// job appears more than once in the batch, its last row wins.
///
/// The rows travel as one array per column (`UNNEST`), so the statement's text and plan are the same for
/// every batch; a `VALUES` list would bind 11 parameters per row and be parsed and planned anew each time,
/// which cost the history writer more Postgres CPU than the rows themselves.
pub fn upsert_batch(conn: &mut PgConnection, rows: &[JobHistory]) -> Result<usize, DbError> {
    use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Text, Timestamptz};
    if rows.is_empty() {
        return Ok(0);
    }
    // ON CONFLICT cannot touch one row twice in a statement.
    let mut last = std::collections::HashMap::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        last.insert(r.job_id.as_str(), i);
    }
    let rows: Vec<&JobHistory> = rows
        .iter()
        .enumerate()
        .filter(|(i, r)| last.get(r.job_id.as_str()) == Some(i))
        .map(|(_, r)| r)
        .collect();
    let col = |f: fn(&JobHistory) -> String| rows.iter().map(|r| f(r)).collect::<Vec<_>>();
    let opt = |f: fn(&JobHistory) -> Option<String>| rows.iter().map(|r| f(r)).collect::<Vec<_>>();
    let at =
        |f: fn(&JobHistory) -> Option<DateTime<Utc>>| rows.iter().map(|r| f(r)).collect::<Vec<_>>();
    Ok(diesel::sql_query(UPSERT)
        .bind::<Array<Text>, _>(col(|r| r.job_id.clone()))
        .bind::<Array<Text>, _>(col(|r| r.job.clone()))
        .bind::<Array<Text>, _>(col(|r| r.queue.clone()))
        .bind::<Array<Text>, _>(col(|r| r.state.clone()))
        .bind::<Array<Integer>, _>(rows.iter().map(|r| r.attempts).collect::<Vec<_>>())
        .bind::<Array<Timestamptz>, _>(rows.iter().map(|r| r.created_at).collect::<Vec<_>>())
        .bind::<Array<Nullable<Timestamptz>>, _>(at(|r| r.started_at))
        .bind::<Array<Timestamptz>, _>(rows.iter().map(|r| r.finished_at).collect::<Vec<_>>())
        .bind::<Array<Nullable<BigInt>>, _>(rows.iter().map(|r| r.duration_ms).collect::<Vec<_>>())
        .bind::<Array<Nullable<Text>>, _>(opt(|r| r.last_error.clone()))
        .bind::<Array<Nullable<Text>>, _>(opt(|r| r.request_id.clone()))
        .bind::<Array<Nullable<BigInt>>, _>(
            rows.iter()
                .map(|r| r.actor_user_id.map(|u| u.0))
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Nullable<Text>>, _>(opt(|r| r.resource.clone()))
        .bind::<Array<Bool>, _>(rows.iter().map(|r| r.permanent).collect::<Vec<_>>())
        .execute(conn)?)
}

/// Runs `f` in a transaction that does not wait for the WAL flush (`synchronous_commit = off`): for the
/// workers' history writer, whose rows are a convenience copy of the Redis records.
fn without_flush_wait<T, E>(
    conn: &mut PgConnection,
    f: impl FnOnce(&mut PgConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    conn.transaction(|c| {
        diesel::sql_query("SET LOCAL synchronous_commit TO OFF").execute(c)?;
        f(c)
    })
}

/// The workers' history writer: a batch in a transaction that does not wait for the WAL flush. `COPY`
/// (binary) writes it when every job is new, the usual case: Postgres inserts the rows in bulk, where an
/// upsert inserts each row speculatively (an extra index probe and WAL record per row). A job already there
/// (a requeued job finishing again) or twice in the batch makes `COPY` fail on the primary key; the batch is
/// then written again by [`upsert_batch`]. Returns the rows written.
pub fn write_batch_async_commit(
    conn: &mut PgConnection,
    rows: &[JobHistory],
) -> Result<usize, DbError> {
    use diesel::result::{DatabaseErrorKind, Error};
    if rows.is_empty() {
        return Ok(0);
    }
    let copied = without_flush_wait(conn, |c| {
        diesel::copy_from(job_history::table)
            .from_insertable(rows)
            .execute(c)
    });
    match copied {
        Ok(n) => Ok(n),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            without_flush_wait(conn, |c| upsert_batch(c, rows))
        }
        Err(e) => Err(e.into()),
    }
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

/// Whose jobs a reader of the history sees (`permissions::Principal::sees_job_of` as a filter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryScope {
    /// Every job (admins).
    All,
    /// The jobs enqueued by this user, and by the members of this team when given (managers).
    Own(UserId, Option<TeamId>),
}

/// Filters of [`list`].
#[derive(Debug, Clone, Default)]
pub struct HistoryFilter {
    pub queue: Option<String>,
    /// `succeeded` or `dead`.
    pub state: Option<String>,
    /// Only jobs finished strictly before this instant.
    pub before: Option<DateTime<Utc>>,
    pub limit: i64,
}

/// Finished jobs within `scope`, newest first.
pub fn list(
    conn: &mut PgConnection,
    scope: HistoryScope,
    filter: &HistoryFilter,
) -> Result<Vec<JobHistory>, DbError> {
    let mut q = job_history::table
        .select(JobHistory::as_select())
        .order(job_history::finished_at.desc())
        .limit(filter.limit)
        .into_boxed();
    match scope {
        HistoryScope::All => {}
        HistoryScope::Own(user, None) => q = q.filter(job_history::actor_user_id.eq(user)),
        HistoryScope::Own(user, Some(team)) => {
            let members = users::table
                .filter(users::team_id.eq(team))
                .select(users::id.nullable());
            q = q.filter(
                job_history::actor_user_id
                    .eq(user)
                    .or(job_history::actor_user_id.eq_any(members)),
            );
        }
    }
    if let Some(queue) = &filter.queue {
        q = q.filter(job_history::queue.eq(queue.clone()));
    }
    match filter.state.as_deref() {
        // A literal, not a bound parameter, so that every plan can use the partial index of dead rows.
        Some("dead") => {
            q = q.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
                "state = 'dead'",
            ))
        }
        Some(s) => q = q.filter(job_history::state.eq(s.to_owned())),
        None => {}
    }
    if let Some(b) = filter.before {
        q = q.filter(job_history::finished_at.lt(b));
    }
    Ok(q.load::<JobHistory>(conn)?)
}
