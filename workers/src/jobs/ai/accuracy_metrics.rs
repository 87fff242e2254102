//! `ai.accuracy_metrics`: per-field precision of autofill for a day (default: yesterday).

use crm_queue::runtime::{JobCtx, JobError};
use serde_json::json;
use shared::db::run_blocking;
use shared::jobs::payloads::autofill::AccuracyMetrics;

/// Handler of `ai.accuracy_metrics`.
pub async fn accuracy_metrics(
    ctx: JobCtx,
    job: AccuracyMetrics,
) -> Result<serde_json::Value, JobError> {
    let tz = ctx.app.config.scheduler.timezone;
    let day = job.day.unwrap_or_else(|| {
        (chrono::Utc::now().with_timezone(&tz) - chrono::Duration::days(1)).date_naive()
    });
    let rows = run_blocking(&ctx.app.db, move |conn| {
        crm_autofill::accuracy::compute_day(conn, day, tz.name())
    })
    .await
    .map_err(|e| JobError::db(e, "computing autofill accuracy"))?;
    Ok(json!({ "day": day, "rows": rows }))
}
