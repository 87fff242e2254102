use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use shared::jobs::catalogue;

use super::{audit_action, parse_queue, require_runner};
use crate::dashboard::DashUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::middleware::RequestId;
use crate::routes::jobs::enqueue_error;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryAllRequest {
    /// The number of dead jobs the operator saw and confirmed; refused (409) when it no longer matches.
    pub expected_count: u64,
    /// Only this queue's dead jobs.
    #[serde(default)]
    pub queue: Option<String>,
}

#[derive(Serialize)]
pub struct RetryAllResponse {
    pub requeued: usize,
}

/// `POST /api/v1/dashboard/dead/retry-all`: requeues every dead job (of a queue) after a count confirmation.
/// Admin when the jobs may include admin-only ones (all queues, or the maintenance queue).
pub async fn retry_all(
    state: web::Data<AppState>,
    user: DashUser,
    request_id: RequestId,
    body: JsonBody<RetryAllRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require_operator()?;
    let RetryAllRequest {
        expected_count,
        queue,
    } = body.into_inner();
    let queue = queue
        .as_deref()
        .filter(|q| !q.is_empty())
        .map(parse_queue)
        .transpose()?;
    // Every job that can be in the set must be one the user may run.
    for spec in catalogue::all()
        .iter()
        .filter(|s| queue.is_none_or(|q| s.queue == q))
    {
        require_runner(&user, spec)?;
    }
    let current = state.queue.dead_count(queue).await?;
    if current != expected_count {
        return Err(ApiError::Conflict {
            code: "count_mismatch",
            message: format!(
                "there are now {current} dead jobs, not {expected_count}: review the list and confirm again"
            ),
        });
    }
    let requeued = state
        .queue
        .requeue_all_dead(queue)
        .await
        .map_err(|e| enqueue_error("requeue", e))?;
    let target = queue.map_or("all", |q| q.as_str()).to_owned();
    tracing::info!(queue = %target, requeued, "dashboard retry-all of dead jobs");
    audit_action(
        &state,
        &user,
        &request_id,
        "dead.retry_all",
        "queue",
        target,
        serde_json::json!({ "expected_count": expected_count, "requeued": requeued }),
    )
    .await;
    Ok(HttpResponse::Ok().json(RetryAllResponse { requeued }))
}
