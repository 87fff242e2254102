//! Jobs: run now, look up, dead letters, requeue, catalogue.

pub mod catalogue;
pub mod create;
pub mod dead;
pub mod requeue;
pub mod show;

use crm_queue::JobId;

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
