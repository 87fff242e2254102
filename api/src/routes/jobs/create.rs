use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use crm_queue::{EnqueueError, EnqueueOptions};
use serde::{Deserialize, Serialize};
use shared::jobs::catalogue;

use crate::audit;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::middleware::RequestId;
use crate::state::AppState;

/// Starts a job now (or at `run_at`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunJobRequest {
    /// Catalogue name, e.g. `maint.backup`.
    #[schema(example = "maint.backup")]
    pub job: String,
    /// The job's payload, checked against its type (unknown fields refused). Defaults to `{}`.
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// Run no earlier than this (RFC 3339); absent or past means now.
    #[serde(default)]
    pub run_at: Option<DateTime<Utc>>,
    /// A second request with the same key returns the first job instead of enqueuing again (1 to 200 bytes).
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RunJobResponse {
    pub job_id: String,
    /// True when the idempotency key matched an earlier job, whose id is returned.
    pub duplicate: bool,
}

/// Enqueues a catalogue job, subject to the job's role.
#[utoipa::path(
    post,
    path = "/api/v1/jobs",
    tag = "jobs",
    request_body = RunJobRequest,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Enqueued (or matched an earlier job by idempotency key)", body = RunJobResponse),
        (status = 400, description = "Invalid request or payload; `field` names the offending field", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "The caller's role is below the job's", body = crate::error::ErrorBody),
        (status = 404, description = "Unknown job (`unknown_job`)", body = crate::error::ErrorBody),
        (status = 413, description = "Body too large", body = crate::error::ErrorBody),
        (status = 429, description = "Rate limited", body = crate::error::ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    body: JsonBody<RunJobRequest>,
) -> Result<HttpResponse, ApiError> {
    let RunJobRequest {
        job,
        payload,
        run_at,
        idempotency_key,
    } = body.into_inner();
    let spec = catalogue::find(&job).ok_or_else(|| unknown_job(&job))?;
    user.require(spec.run_role)?;

    let opts = EnqueueOptions {
        run_at,
        idempotency_key,
        request_id: Some(request_id.0.clone()),
    };
    let enqueued = state
        .queue
        .enqueue_json(spec.name, payload, opts)
        .await
        .map_err(|e| enqueue_error(spec.name, e))?;
    tracing::info!(job.name = spec.name, job.id = %enqueued.job_id, duplicate = enqueued.duplicate, "job run now");

    audit::record(
        &state,
        audit::Entry {
            actor: user.id,
            action: "job.run_now",
            target_type: "job",
            target_id: enqueued.job_id.to_string(),
            details: serde_json::json!({
                "job": spec.name,
                "job_id": enqueued.job_id.to_string(),
                "duplicate": enqueued.duplicate,
                "run_at": run_at,
            }),
            request_id: &request_id,
        },
    )
    .await;

    Ok(HttpResponse::Accepted()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/jobs/{}", enqueued.job_id),
        ))
        .json(RunJobResponse {
            job_id: enqueued.job_id.to_string(),
            duplicate: enqueued.duplicate,
        }))
}

pub(crate) fn unknown_job(name: &str) -> ApiError {
    ApiError::NotFound {
        code: "unknown_job",
        message: format!(
            "unknown job `{}`",
            name.chars().take(100).collect::<String>()
        ),
    }
}

pub(crate) fn enqueue_error(job: &str, err: EnqueueError) -> ApiError {
    match err {
        EnqueueError::UnknownJob(name) => unknown_job(&name),
        EnqueueError::Payload(p) => {
            let field = p.field.unwrap_or_else(|| "payload".to_owned());
            ApiError::BadRequest {
                code: "invalid_payload",
                message: format!(
                    "invalid payload for job `{job}`: field `{field}`: {}",
                    p.message
                ),
                field: Some(field),
            }
        }
        EnqueueError::BadIdempotencyKey => ApiError::invalid_field(
            "idempotency_key",
            "idempotency_key must be 1 to 200 bytes long",
        ),
        EnqueueError::Redis(e) => e.into(),
        EnqueueError::Json(e) => {
            ApiError::Internal(anyhow::Error::new(e).context("encoding a job"))
        }
    }
}
