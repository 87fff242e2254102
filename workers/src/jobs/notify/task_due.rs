//! `notify.task_due`: tasks that fell due become `task.due` events.

use crm_queue::runtime::{JobCtx, JobError};
use shared::db::run_blocking;
use shared::jobs::payloads::notify::TaskDue;

/// Handler of `notify.task_due`.
pub async fn task_due(ctx: JobCtx, _job: TaskDue) -> Result<serde_json::Value, JobError> {
    let n = run_blocking(&ctx.app.db, crm_events::tasks::mark_due)
        .await
        .map_err(|e| JobError::db(e, "marking due tasks"))?;
    Ok(serde_json::json!({ "due": n }))
}
