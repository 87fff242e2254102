//! `maint.backup_verify`: restore a backup into a scratch database and compare its row counts.

use anyhow::anyhow;
use crm_backup::{VerifyOutcome, verify_backup};
use crm_queue::runtime::{JobCtx, JobError};
use shared::jobs::payloads::maint::BackupVerify;
use shared::models::backup::VerifyResult;

/// Handler of `maint.backup_verify`: a backup that does not verify fails the job (dead-letter, no retry).
pub async fn backup_verify(ctx: JobCtx, job: BackupVerify) -> Result<VerifyOutcome, JobError> {
    let outcome = verify_backup(
        &super::settings(&ctx),
        &ctx.app.db,
        job.backup_id.map(|id| id.0),
        &ctx,
    )
    .await?;
    if outcome.result != VerifyResult::Ok {
        return Err(JobError::permanent(anyhow!(
            "backup {} ({}) did not verify: {}: {}",
            outcome.backup_id,
            outcome.file_name,
            outcome.result,
            outcome.details
        )));
    }
    Ok(outcome)
}
