use crm_mailbox::schedule::{SyncAllOutcome, enqueue_syncs};
use shared::db::run_blocking;
use shared::jobs::payloads::mail::SyncAll;
use shared::models::email_account as accounts;

use crm_queue::runtime::{JobCtx, JobError};

/// Handler of `mail.sync_all`.
pub async fn sync_all(ctx: JobCtx, _job: SyncAll) -> Result<SyncAllOutcome, JobError> {
    let ids = run_blocking(&ctx.app.db, accounts::list_syncable_ids)
        .await
        .map_err(|e| JobError::transient(anyhow::Error::new(e).context("listing accounts")))?;
    enqueue_syncs(ctx.queue(), &ids, chrono::Utc::now().timestamp())
        .await
        .map_err(JobError::transient)
}
