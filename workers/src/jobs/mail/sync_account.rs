use shared::jobs::payloads::mail::SyncAccount;

use crm_mailbox::bounces::CampaignFeedback;
use crm_mailbox::sync::{self, SyncDeps, SyncError, SyncOutcome, SyncSettings};
use crm_queue::runtime::{JobCtx, JobError};

/// Handler of `mail.sync_account`.
pub async fn sync_account(ctx: JobCtx, job: SyncAccount) -> Result<SyncOutcome, JobError> {
    let mail = &ctx.app.config.mail;
    let deps = SyncDeps {
        pool: &ctx.app.db,
        redis: ctx.queue().connection(),
        namespace: ctx.queue().keys().ns(),
        secrets: mail.secrets.as_ref(),
        analysis_queue: Some(ctx.queue()),
    };
    let settings = SyncSettings {
        max_bytes: mail.max_bytes,
        extra_roots: mail.tls_extra_roots.clone(),
        oauth: ctx.app.oauth.clone(),
        egress: ctx.app.config.common.egress.clone(),
        imap: mail.imap,
        feedback: CampaignFeedback::from_config(
            &ctx.app.config.common.campaigns,
            &ctx.app.config.common.rgpd.hasher,
        ),
        ..SyncSettings::default()
    };
    sync::sync_account(&deps, &settings, job.account_id.0, &ctx)
        .await
        .map_err(sync_error)
}

/// Authentication failures, missing accounts and unusable settings are permanent (no retry); network,
/// database and Redis trouble is transient.
pub fn sync_error(e: SyncError) -> JobError {
    if e.is_transient() {
        JobError::transient(e)
    } else {
        JobError::permanent(e)
    }
}
