use shared::jobs::payloads::mail::Import;

use crm_mailbox::import::{ImportError, ImportOutcome, import_path, resolve_path};
use crm_queue::runtime::{JobCtx, JobError};

/// Handler of `mail.import`.
pub async fn import(ctx: JobCtx, job: Import) -> Result<ImportOutcome, JobError> {
    let mail = &ctx.app.config.mail;
    let path = resolve_path(mail.import_dir.as_deref(), &job.path).map_err(JobError::permanent)?;
    let folder = job.folder.as_deref().unwrap_or("Import");
    import_path(
        &ctx.app.db,
        Some(ctx.queue().clone()),
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
