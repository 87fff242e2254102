//! `diag.echo`: returns its message, to check a deployment end to end.

use serde_json::json;
use shared::jobs::payloads::diag::Echo;

use crm_queue::runtime::{JobCtx, JobError};

/// Succeeds with the message it was given and the attempt number.
pub async fn echo(ctx: JobCtx, job: Echo) -> Result<serde_json::Value, JobError> {
    Ok(json!({ "message": job.message, "attempt": ctx.attempt }))
}
