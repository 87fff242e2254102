use crm_queue::{EnqueueOptions, JobQueue};
use serde::Serialize;
use shared::db::run_blocking;
use shared::jobs::payloads::mail::{SyncAccount, SyncAll};
use shared::models::email_account::{self as accounts, EmailAccountId};

use crm_queue::runtime::{JobCtx, JobError};

/// Result of `mail.sync_all`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncAllOutcome {
    pub accounts: usize,
    pub enqueued: usize,
    /// A job of the same 10-minute window already existed.
    pub already_queued: usize,
}

/// Handler of `mail.sync_all`.
pub async fn sync_all(ctx: JobCtx, _job: SyncAll) -> Result<SyncAllOutcome, JobError> {
    let ids = run_blocking(&ctx.app.db, accounts::list_syncable_ids)
        .await
        .map_err(|e| JobError::transient(anyhow::Error::new(e).context("listing accounts")))?;
    enqueue_syncs(ctx.queue(), &ids, chrono::Utc::now().timestamp())
        .await
        .map_err(JobError::transient)
}

/// Enqueues one `mail.sync_account` per account with the idempotency key of the current 10-minute
/// window, so repeated ticks (or replicas) enqueue it once. The account lock makes sure two jobs of one
/// account never sync at the same time anyway.
pub async fn enqueue_syncs(
    queue: &JobQueue,
    account_ids: &[EmailAccountId],
    now_unix_secs: i64,
) -> anyhow::Result<SyncAllOutcome> {
    let mut outcome = SyncAllOutcome {
        accounts: account_ids.len(),
        ..SyncAllOutcome::default()
    };
    for &account_id in account_ids {
        let opts = EnqueueOptions {
            idempotency_key: Some(SyncAccount::window_key(account_id, now_unix_secs)),
            ..EnqueueOptions::default()
        };
        let done = queue.enqueue(&SyncAccount { account_id }, opts).await?;
        if done.duplicate {
            outcome.already_queued += 1;
        } else {
            outcome.enqueued += 1;
        }
    }
    Ok(outcome)
}
