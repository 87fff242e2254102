//! Jobs: run now, look up, dead letters, requeue, catalogue.

pub mod catalogue;
pub mod create;
pub mod dead;
pub mod events;
pub mod requeue;
pub mod show;
pub(crate) mod visibility;

use crm_queue::{EnqueueError, JobId};

use crate::error::ApiError;

/// Parses a job id from the path, 400 naming `id` when it is not a ULID.
pub(crate) fn parse_job_id(raw: &str) -> Result<JobId, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::invalid_field(
            "id",
            format!(
                "`{}` is not a job id (ULID expected)",
                raw.chars().take(64).collect::<String>()
            ),
        )
    })
}

/// A 404 `unknown_job` naming a job that is not in the catalogue.
pub(crate) fn unknown_job(name: &str) -> ApiError {
    ApiError::NotFound {
        code: "unknown_job",
        message: format!(
            "unknown job `{}`",
            name.chars().take(100).collect::<String>()
        ),
    }
}

/// The answer for a failed enqueue (or requeue) of `job`: 400 naming the payload field, 404, or a store error.
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
        e @ EnqueueError::RunAtTooFar => ApiError::invalid_field("run_at", e.to_string()),
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
