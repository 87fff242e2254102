use serde_json::json;
use shared::jobs::payloads::mail::Cleanup;

use crm_mailbox::cleanup::purge_old_bodies;
use crm_queue::runtime::{JobCtx, JobError};

/// Handler of `mail.cleanup`.
pub async fn cleanup(ctx: JobCtx, _job: Cleanup) -> Result<serde_json::Value, JobError> {
    let days = ctx.app.config.mail.retention_days;
    let purged = purge_old_bodies(&ctx.app.db, days)
        .await
        .map_err(|e| JobError::db(e, "purging old bodies"))?;
    tracing::info!(purged, retention_days = days, "email bodies purged");
    Ok(json!({ "purged": purged, "retention_days": days }))
}
