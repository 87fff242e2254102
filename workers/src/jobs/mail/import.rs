use shared::jobs::payloads::mail::Import;

use crm_mailbox::bounces::CampaignFeedback;
use crm_mailbox::import::{ImportError, ImportHooks, ImportOutcome, import_path, resolve_path};
use crm_queue::runtime::{JobCtx, JobError};

/// Handler of `mail.import`.
pub async fn import(ctx: JobCtx, job: Import) -> Result<ImportOutcome, JobError> {
    let mail = &ctx.app.config.mail;
    let path = resolve_path(mail.import_dir.as_deref(), &job.path).map_err(JobError::permanent)?;
    let folder = job.folder.as_deref().unwrap_or("Import");
    let common = &ctx.app.config.common;
    let hooks = ImportHooks {
        analysis_queue: Some(ctx.queue().clone()),
        feedback: CampaignFeedback::from_config(&common.campaigns, &common.rgpd.hasher),
    };
    import_path(
        &ctx.app.db,
        hooks,
        job.account_id.0,
        &path,
        folder,
        mail.max_bytes,
        &ctx,
    )
    .await
    .map_err(|e| match e {
        ImportError::Db(ref db) if db.is_transient() => JobError::transient(e),
        ImportError::Io(_) => JobError::transient(e),
        other => JobError::permanent(other),
    })
}
