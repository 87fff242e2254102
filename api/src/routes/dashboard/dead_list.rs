use actix_web::{HttpResponse, web};
use crm_queue::{JobRecord, ListState};
use serde::{Deserialize, Serialize};

use super::parse_queue;
use super::queue_jobs::check_limit;
use crate::dashboard::DashUser;
use crate::error::ApiError;
use crate::routes::jobs::visibility::visible_records;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadQuery {
    /// Only this queue's dead jobs.
    pub queue: Option<String>,
    pub offset: Option<usize>,
    pub limit: Option<usize>,
}

#[derive(Serialize)]
pub struct DeadPage {
    /// Dead jobs in total (of the queue, when given): the count to confirm a retry-all with.
    pub total: u64,
    pub offset: usize,
    pub limit: usize,
    /// Newest death first, the ones the caller may see; `last_error` is the reason.
    pub jobs: Vec<JobRecord>,
}

/// `GET /api/v1/dashboard/dead?queue=&offset=&limit=`.
pub async fn list(
    state: web::Data<AppState>,
    user: DashUser,
    query: web::Query<DeadQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let offset = query.offset.unwrap_or(0);
    let limit = check_limit(query.limit)?;
    let (total, jobs) = match query.queue.as_deref().filter(|q| !q.is_empty()) {
        Some(q) => {
            let queue = parse_queue(q)?;
            state
                .queue
                .list_jobs(queue, ListState::Dead, offset, limit, None)
                .await?
        }
        None => state.queue.dead(offset, limit).await?,
    };
    let jobs = visible_records(&state, &user.principal(), jobs).await?;
    Ok(HttpResponse::Ok().json(DeadPage {
        total,
        offset,
        limit,
        jobs,
    }))
}
