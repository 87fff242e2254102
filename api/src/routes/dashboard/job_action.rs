use actix_web::{HttpResponse, web};
use crm_queue::{ActionOutcome, JobId, JobRecord};
use serde::Serialize;
use shared::jobs::catalogue;

use super::{audit_action, require_runner};
use crate::dashboard::DashUser;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::routes::jobs::visibility::sees;
use crate::routes::jobs::{enqueue_error, parse_job_id};
use crate::state::AppState;

#[derive(Serialize)]
pub struct ActionResponse {
    pub job_id: String,
    pub action: &'static str,
}

/// The job `raw` if `user` may see it (`routes::jobs::visibility`); 404 otherwise.
async fn load(
    state: &AppState,
    user: &DashUser,
    raw: &str,
) -> Result<(JobId, JobRecord), ApiError> {
    let id = parse_job_id(raw)?;
    let not_found = || ApiError::not_found(format!("job {id} not found"));
    let record = state.queue.get(&id).await?.ok_or_else(not_found)?;
    if !sees(state, &user.principal(), record.actor).await? {
        return Err(not_found());
    }
    Ok((id, record))
}

fn outcome(id: &JobId, what: &str, outcome: ActionOutcome) -> Result<(), ApiError> {
    match outcome {
        ActionOutcome::Done => Ok(()),
        ActionOutcome::NotFound => Err(ApiError::not_found(format!("job {id} not found"))),
        ActionOutcome::WrongState => Err(ApiError::Conflict {
            code: "wrong_state",
            message: format!("job {id} cannot be {what} in its current state"),
        }),
    }
}

async fn done(
    state: &AppState,
    user: &DashUser,
    request_id: &RequestId,
    action: &'static str,
    id: JobId,
    record: &JobRecord,
) -> HttpResponse {
    tracing::info!(job.id = %id, job.name = %record.job, action, "dashboard job action");
    audit_action(
        state,
        user,
        request_id,
        action,
        "job",
        id.to_string(),
        serde_json::json!({ "job": record.job, "job_id": id.to_string(), "state_before": record.state }),
    )
    .await;
    HttpResponse::Ok().json(ActionResponse {
        job_id: id.to_string(),
        action,
    })
}

/// `POST /api/v1/dashboard/jobs/{id}/retry`: a dead job is requeued with a fresh attempt budget, a
/// scheduled or retrying one runs now. Needs the role that may run the job.
pub async fn retry(
    state: web::Data<AppState>,
    user: DashUser,
    request_id: RequestId,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require_operator()?;
    let (id, record) = load(&state, &user, &id).await?;
    if let Some(spec) = catalogue::find(&record.job) {
        require_runner(&user, spec)?;
    }
    let result = state
        .queue
        .retry_now(&id)
        .await
        .map_err(|e| enqueue_error(&record.job, e))?;
    outcome(&id, "retried", result)?;
    Ok(done(&state, &user, &request_id, "job.retry", id, &record).await)
}

/// `POST /api/v1/dashboard/jobs/{id}/cancel`: a waiting or scheduled job will not run.
pub async fn cancel(
    state: web::Data<AppState>,
    user: DashUser,
    request_id: RequestId,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require_operator()?;
    let (id, record) = load(&state, &user, &id).await?;
    outcome(&id, "cancelled", state.queue.cancel(&id).await?)?;
    Ok(done(&state, &user, &request_id, "job.cancel", id, &record).await)
}

/// `DELETE /api/v1/dashboard/jobs/{id}`: removes a job that is not running, and its record.
pub async fn delete(
    state: web::Data<AppState>,
    user: DashUser,
    request_id: RequestId,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require_operator()?;
    let (id, record) = load(&state, &user, &id).await?;
    outcome(&id, "deleted", state.queue.delete(&id).await?)?;
    Ok(done(&state, &user, &request_id, "job.delete", id, &record).await)
}
