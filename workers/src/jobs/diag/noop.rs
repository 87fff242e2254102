use serde_json::json;
use shared::jobs::payloads::diag::Noop;

use crm_queue::runtime::{JobCtx, JobError};

/// Succeeds at once, echoing the tag.
pub async fn noop(ctx: JobCtx, job: Noop) -> Result<serde_json::Value, JobError> {
    Ok(json!({ "tag": job.tag, "attempt": ctx.attempt }))
}
