//! The mailbox sync schedule (the work of `mail.sync_all`): one `mail.sync_account` per account and
//! 10-minute window.

use crm_queue::{EnqueueError, EnqueueOptions, JobQueue};
use serde::Serialize;
use shared::jobs::payloads::mail::SyncAccount;
use shared::models::email_account::EmailAccountId;

/// Result of `mail.sync_all`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncAllOutcome {
    pub accounts: usize,
    pub enqueued: usize,
    /// A job of the same 10-minute window already existed.
    pub already_queued: usize,
}

/// Enqueues one `mail.sync_account` per account with the idempotency key of the current 10-minute
/// window, so repeated ticks (or replicas) enqueue it once. The account lock makes sure two jobs of one
/// account never sync at the same time anyway.
pub async fn enqueue_syncs(
    queue: &JobQueue,
    account_ids: &[EmailAccountId],
    now_unix_secs: i64,
) -> Result<SyncAllOutcome, EnqueueError> {
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
