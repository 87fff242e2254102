use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use shared::jobs::catalogue;

use super::require_runner;
use crate::dashboard::DashUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::middleware::RequestId;
use crate::routes::jobs::create::{RunJobResponse, RunNow, Via, empty_object, run_now};
use crate::routes::jobs::unknown_job;
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
    let run = RunNow {
        spec,
        payload: payload.unwrap_or_else(empty_object),
        run_at,
        idempotency_key: None,
    };
    let enqueued = run_now(&state, user.principal(), &request_id, run, Via::Dashboard).await?;
    Ok(HttpResponse::Accepted().json(RunJobResponse {
        job_id: enqueued.job_id.to_string(),
        duplicate: enqueued.duplicate,
    }))
}
