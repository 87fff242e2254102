use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use shared::db::{DbError, run_blocking};
use shared::models::job_history::JobHistory;
use shared::schema::job_history;

use super::parse_queue;
use super::queue_jobs::check_limit;
use crate::dashboard::DashUser;
use crate::error::ApiError;
use crate::extract::{Query, Timestamp};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    pub queue: Option<String>,
    /// `succeeded` or `dead`.
    pub state: Option<String>,
    /// Only jobs finished strictly before this instant (the `next_before` of the previous page).
    pub before: Option<Timestamp>,
    pub limit: Option<usize>,
}

#[derive(Serialize)]
pub struct HistoryPage {
    /// Newest first.
    pub jobs: Vec<JobHistory>,
    /// Pass as `before` for the next page; absent on the last page.
    pub next_before: Option<DateTime<Utc>>,
}

/// `GET /api/v1/dashboard/history?queue=&state=&before=&limit=`: finished jobs from Postgres (kept
/// across Redis and API restarts), newest first, paged by `finished_at` through its index.
pub async fn list(
    state: web::Data<AppState>,
    _user: DashUser,
    query: Query<HistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = check_limit(query.limit)?;
    let queue = query
        .queue
        .as_deref()
        .filter(|q| !q.is_empty())
        .map(parse_queue)
        .transpose()?;
    let wanted = match query.state.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s @ ("succeeded" | "dead")) => Some(s.to_owned()),
        Some(_) => {
            return Err(ApiError::invalid_field(
                "state",
                "state must be `succeeded` or `dead`",
            ));
        }
    };
    let before = query.before.map(Timestamp::get);
    let jobs = run_blocking(&state.pool, move |conn| {
        let mut q = job_history::table
            .select(JobHistory::as_select())
            .order(job_history::finished_at.desc())
            .limit(i64::try_from(limit).unwrap_or(25))
            .into_boxed();
        if let Some(queue) = queue {
            q = q.filter(job_history::queue.eq(queue.as_str()));
        }
        match wanted.as_deref() {
            // A literal, not a bound parameter, so that every plan can use the partial index of dead rows.
            Some("dead") => {
                q = q.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
                    "state = 'dead'",
                ))
            }
            Some(s) => q = q.filter(job_history::state.eq(s.to_owned())),
            None => {}
        }
        if let Some(b) = before {
            q = q.filter(job_history::finished_at.lt(b));
        }
        q.load::<JobHistory>(conn).map_err(DbError::from)
    })
    .await?;
    let next_before = (jobs.len() == limit)
        .then(|| jobs.last().map(|j| j.finished_at))
        .flatten();
    Ok(HttpResponse::Ok().json(HistoryPage { jobs, next_before }))
}
