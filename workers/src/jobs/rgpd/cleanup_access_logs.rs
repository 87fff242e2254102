//! `rgpd.cleanup_access_logs`: access-log entries past retention, and export archives past their link.

use chrono::Utc;
use crm_queue::runtime::{JobCtx, JobError};
use serde_json::json;
use shared::db::run_blocking;
use shared::jobs::payloads::rgpd::CleanupAccessLogs;
use shared::models::{access_log, rgpd_request};

/// Handler of `rgpd.cleanup_access_logs`.
pub async fn cleanup_access_logs(
    ctx: JobCtx,
    _job: CleanupAccessLogs,
) -> Result<serde_json::Value, JobError> {
    let days = ctx.app.config.common.rgpd.access_log_retention_days;
    let cutoff = Utc::now() - chrono::Duration::days(i64::from(days));
    let (entries, archives) = run_blocking(&ctx.app.db, move |c| {
        Ok((
            access_log::delete_older_than(c, cutoff, 10_000)?,
            rgpd_request::delete_expired_files(c)?,
        ))
    })
    .await
    .map_err(|e| JobError::db(e, "deleting old access-log entries"))?;
    tracing::info!(entries, archives, "access log cleaned");
    Ok(json!({ "deleted_entries": entries, "deleted_export_archives": archives, "cutoff": cutoff }))
}
