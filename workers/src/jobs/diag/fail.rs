use std::time::Duration;

use serde_json::json;
use shared::jobs::payloads::diag::Fail;

use crm_queue::runtime::{JobCtx, JobError};

/// Fails until attempt `succeed_on_attempt` (transiently unless `permanent`), then succeeds.
pub async fn fail(ctx: JobCtx, job: Fail) -> Result<serde_json::Value, JobError> {
    if job.succeed_on_attempt.is_some_and(|n| ctx.attempt >= n)
        || job.succeed_after.is_some_and(|t| chrono::Utc::now() >= t)
    {
        return Ok(json!({ "succeeded_on_attempt": ctx.attempt }));
    }
    let error = anyhow::anyhow!("diag.fail: deliberate failure on attempt {}", ctx.attempt);
    if let Some(ms) = job.throttle_ms {
        return Err(JobError::throttled(
            anyhow::anyhow!("diag.fail: provider answered 429"),
            Duration::from_millis(ms),
        ));
    }
    if job.permanent {
        return Err(JobError::permanent(error));
    }
    Err(JobError::Transient {
        error,
        retry_in: job.backoff_ms.map(Duration::from_millis),
    })
}
