//! `rgpd.anonymize_inactive`: the weekly sweep of inactive users and contacts.

use crm_queue::runtime::{JobCtx, JobError};
use crm_rgpd::RgpdEnv;
use crm_rgpd::inactive::{SweepOutcome, sweep};
use shared::jobs::payloads::rgpd::AnonymizeInactive;

/// Handler of `rgpd.anonymize_inactive`.
pub async fn anonymize_inactive(
    ctx: JobCtx,
    job: AnonymizeInactive,
    env: RgpdEnv,
) -> Result<SweepOutcome, JobError> {
    sweep(&env, job.dry_run, job.limit, &ctx).await
}
