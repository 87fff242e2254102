//! `ai.cleanup_preferences`: users' suggestion choices are kept 90 days.

use crm_queue::runtime::{JobCtx, JobError};
use serde_json::json;
use shared::db::run_blocking;
use shared::jobs::payloads::autofill::CleanupPreferences;
use shared::models::ai_preference;

/// Handler of `ai.cleanup_preferences`.
pub async fn cleanup_preferences(
    ctx: JobCtx,
    _job: CleanupPreferences,
) -> Result<serde_json::Value, JobError> {
    let deleted = run_blocking(&ctx.app.db, ai_preference::delete_expired)
        .await
        .map_err(|e| JobError::db(e, "deleting expired preferences"))?;
    tracing::info!(deleted, "expired suggestion choices deleted");
    Ok(json!({ "deleted": deleted }))
}
