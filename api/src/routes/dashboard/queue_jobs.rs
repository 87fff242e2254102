use actix_web::{HttpResponse, web};
use crm_queue::{JobRecord, ListState};
use serde::{Deserialize, Serialize};

use super::parse_queue;
use crate::dashboard::DashUser;
use crate::error::ApiError;
use crate::routes::jobs::visibility::visible_records;
use crate::state::AppState;

pub(crate) const DEFAULT_LIMIT: usize = 25;
pub(crate) const MAX_LIMIT: usize = 200;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobsQuery {
    /// `waiting` (default), `scheduled`, `running` or `dead`.
    pub state: Option<ListState>,
    pub offset: Option<usize>,
    /// 1 to 200 (default 25).
    pub limit: Option<usize>,
    /// A job id, or a substring of the payload.
    pub q: Option<String>,
}

#[derive(Serialize)]
pub struct JobsPage {
    pub queue: String,
    pub state: ListState,
    /// Jobs in that state, the caller's or not. With a search, admins get the number of matches; others
    /// the number of matches they may see on this page (a queue-wide count of payload matches would tell
    /// what other users' payloads contain).
    pub total: u64,
    pub offset: usize,
    pub limit: usize,
    pub paused: bool,
    /// The jobs of the page the caller may see (their own, their team's for managers, all for admins).
    pub jobs: Vec<JobRecord>,
}

pub(crate) fn check_limit(limit: Option<usize>) -> Result<usize, ApiError> {
    crate::extract::page_limit(limit, DEFAULT_LIMIT, MAX_LIMIT)
}

/// `GET /api/v1/dashboard/queues/{queue}/jobs?state=&offset=&limit=&q=`: a page of a queue's jobs.
pub async fn list(
    state: web::Data<AppState>,
    user: DashUser,
    queue: web::Path<String>,
    query: web::Query<JobsQuery>,
) -> Result<HttpResponse, ApiError> {
    let queue = parse_queue(&queue)?;
    let query = query.into_inner();
    let list_state = query.state.unwrap_or(ListState::Waiting);
    let offset = query.offset.unwrap_or(0);
    let limit = check_limit(query.limit)?;
    let search = query
        .q
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(200).collect::<String>());
    let (total, jobs) = state
        .queue
        .list_jobs(queue, list_state, offset, limit, search.as_deref())
        .await?;
    let principal = user.principal();
    let jobs = visible_records(&state, &principal, jobs).await?;
    let total = if search.is_some() && !principal.is_admin() {
        jobs.len() as u64
    } else {
        total
    };
    let paused = state.queue.paused().await?.contains(&queue);
    Ok(HttpResponse::Ok().json(JobsPage {
        queue: queue.as_str().to_owned(),
        state: list_state,
        total,
        offset,
        limit,
        paused,
        jobs,
    }))
}
