//! `maint.backup`: one backup, then retention.

use crm_backup::{BackupOutcome, run_backup};
use crm_queue::runtime::{JobCtx, JobError};
use shared::jobs::payloads::maint::Backup;

/// Handler of `maint.backup`.
pub async fn backup(ctx: JobCtx, _job: Backup) -> Result<BackupOutcome, JobError> {
    run_backup(&super::settings(&ctx), &ctx.app.db, &ctx).await
}
