use std::time::Duration;

use serde_json::json;
use shared::jobs::payloads::diag::Sleep;

use crm_queue::runtime::{JobCtx, JobError};

/// Sleeps `millis` in `steps` steps, reporting progress after each. The payload's bounds (`millis` at most
/// `Sleep::MAX_MILLIS`, `steps` 1 to 1000) were checked when it was decoded.
pub async fn sleep(ctx: JobCtx, job: Sleep) -> Result<serde_json::Value, JobError> {
    let steps = job.steps.unwrap_or(1).clamp(1, 1_000);
    let step = Duration::from_millis(job.millis / u64::from(steps));
    for i in 1..=steps {
        tokio::time::sleep(step).await;
        let pct = u8::try_from(u64::from(i) * 100 / u64::from(steps)).unwrap_or(100);
        ctx.progress(pct, &format!("step {i} of {steps}")).await;
    }
    Ok(json!({ "slept_ms": job.millis, "tag": job.tag }))
}
