use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::db::run_blocking;
use shared::models::job_history::{self, HistoryFilter, HistoryScope, JobHistory};

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
/// across Redis and API restarts), newest first, paged by `finished_at` through its index. Users see the
/// jobs they enqueued, managers also their team's, admins every job.
pub async fn list(
    state: web::Data<AppState>,
    user: DashUser,
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
    let principal = user.principal();
    let scope = if principal.is_admin() {
        HistoryScope::All
    } else if principal.role.at_least(shared::models::user::Role::Manager) {
        HistoryScope::Own(principal.id, principal.team_id)
    } else {
        HistoryScope::Own(principal.id, None)
    };
    let filter = HistoryFilter {
        queue: queue.map(|q| q.as_str().to_owned()),
        state: wanted,
        before: query.before.map(Timestamp::get),
        limit: i64::try_from(limit).unwrap_or(25),
    };
    let jobs = run_blocking(&state.pool, move |conn| {
        job_history::list(conn, scope, &filter)
    })
    .await?;
    let next_before = (jobs.len() == limit)
        .then(|| jobs.last().map(|j| j.finished_at))
        .flatten();
    Ok(HttpResponse::Ok().json(HistoryPage { jobs, next_before }))
}
