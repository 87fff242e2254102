use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use crm_queue::EnqueueOptions;
use serde::{Deserialize, Serialize};
use shared::jobs::catalogue;

use super::{audit_action, require_runner};
use crate::dashboard::DashUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::middleware::RequestId;
use crate::routes::jobs::create::{enqueue_error, unknown_job};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    pub job: String,
    #[serde(default)]
    pub payload: Option<serde_json::Value>,
    #[serde(default)]
    pub run_at: Option<DateTime<Utc>>,
}

#[derive(Serialize)]
pub struct RunResponse {
    pub job_id: String,
    pub duplicate: bool,
}

/// `POST /api/v1/dashboard/run`: starts a catalogue job. The payload is checked against the job's type
/// first (400 naming the field).
pub async fn run(
    state: web::Data<AppState>,
    user: DashUser,
    request_id: RequestId,
    body: JsonBody<RunRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require_operator()?;
    let RunRequest {
        job,
        payload,
        run_at,
    } = body.into_inner();
    let spec = catalogue::find(&job).ok_or_else(|| unknown_job(&job))?;
    require_runner(&user, spec)?;
    let payload = payload.unwrap_or_else(|| serde_json::Value::Object(serde_json::Map::new()));
    if let Err(e) = spec.validate(&payload) {
        return Err(enqueue_error(spec.name, e.into()));
    }
    let opts = EnqueueOptions {
        run_at,
        idempotency_key: None,
        request_id: Some(request_id.0.clone()),
    };
    let enqueued = state
        .queue
        .enqueue_json(spec.name, payload, opts)
        .await
        .map_err(|e| enqueue_error(spec.name, e))?;
    audit_action(
        &state,
        &user,
        &request_id,
        "job.run_now",
        "job",
        enqueued.job_id.to_string(),
        serde_json::json!({ "job": spec.name, "job_id": enqueued.job_id.to_string(), "run_at": run_at, "via": "dashboard" }),
    )
    .await;
    Ok(HttpResponse::Accepted().json(RunResponse {
        job_id: enqueued.job_id.to_string(),
        duplicate: enqueued.duplicate,
    }))
}
