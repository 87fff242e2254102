use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::{audit_action, parse_queue};
use crate::dashboard::DashUser;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::state::AppState;

#[derive(Serialize)]
pub struct PauseResponse {
    pub queue: String,
    pub paused: bool,
    /// False when the queue was already in that state.
    pub changed: bool,
}

async fn set_paused(
    state: web::Data<AppState>,
    user: DashUser,
    request_id: RequestId,
    queue: web::Path<String>,
    pause: bool,
) -> Result<HttpResponse, ApiError> {
    user.require_operator()?;
    let queue = parse_queue(&queue)?;
    let changed = if pause {
        state.queue.pause(queue).await?
    } else {
        state.queue.resume(queue).await?
    };
    let action = if pause { "queue.pause" } else { "queue.resume" };
    tracing::info!(
        queue = queue.as_str(),
        changed,
        action,
        "dashboard queue action"
    );
    audit_action(
        &state,
        &user,
        &request_id,
        action,
        "queue",
        queue.as_str().to_owned(),
        serde_json::json!({ "queue": queue.as_str(), "changed": changed }),
    )
    .await;
    Ok(HttpResponse::Ok().json(PauseResponse {
        queue: queue.as_str().to_owned(),
        paused: pause,
        changed,
    }))
}

/// `POST /api/v1/dashboard/queues/{queue}/pause`: workers of every process stop fetching from the queue
/// (it keeps accepting jobs).
pub async fn pause(
    state: web::Data<AppState>,
    user: DashUser,
    request_id: RequestId,
    queue: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    set_paused(state, user, request_id, queue, true).await
}

/// `POST /api/v1/dashboard/queues/{queue}/resume`.
pub async fn resume(
    state: web::Data<AppState>,
    user: DashUser,
    request_id: RequestId,
    queue: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    set_paused(state, user, request_id, queue, false).await
}
