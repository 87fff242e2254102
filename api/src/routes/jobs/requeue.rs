use actix_web::{HttpResponse, web};
use crm_queue::RequeueOutcome;
use serde::Serialize;
use shared::models::user::Role;

use super::{enqueue_error, parse_job_id};
use crate::audit;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RequeueResponse {
    pub job_id: String,
    /// Always `waiting`: the job is back on its queue with a fresh attempt budget.
    pub state: &'static str,
}

/// Puts a dead job back on its queue (admin).
#[utoipa::path(
    post,
    path = "/api/v1/jobs/{id}/requeue",
    tag = "jobs",
    params(("id" = String, Path, description = "Job id (ULID)")),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Requeued", body = RequeueResponse),
        (status = 400, description = "Malformed id", body = crate::error::ErrorBody),
        (status = 403, description = "Not an admin", body = crate::error::ErrorBody),
        (status = 404, description = "Unknown job", body = crate::error::ErrorBody),
        (status = 409, description = "The job is not dead (`not_dead`)", body = crate::error::ErrorBody),
    )
)]
pub async fn requeue(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let id = parse_job_id(&id)?;
    let outcome = state
        .queue
        .requeue(&id)
        .await
        .map_err(|e| enqueue_error("requeue", e))?;
    match outcome {
        RequeueOutcome::NotFound => return Err(ApiError::not_found(format!("job {id} not found"))),
        RequeueOutcome::NotDead => {
            return Err(ApiError::Conflict {
                code: "not_dead",
                message: format!("job {id} is not in the dead-letter set"),
            });
        }
        RequeueOutcome::Requeued => {}
    }
    tracing::info!(job.id = %id, "dead job requeued");
    audit::record(
        &state,
        audit::Entry {
            actor: user.id,
            action: "job.requeue",
            target_type: "job",
            target_id: id.to_string(),
            details: serde_json::json!({ "job_id": id.to_string() }),
            request_id: &request_id,
        },
    )
    .await;
    Ok(HttpResponse::Accepted().json(RequeueResponse {
        job_id: id.to_string(),
        state: "waiting",
    }))
}
