//! `rgpd.export`: the archive of everything held about a subject.

use crm_queue::runtime::{JobCtx, JobError};
use crm_rgpd::RgpdEnv;
use shared::jobs::payloads::rgpd::Export;

/// Handler of `rgpd.export`.
pub async fn export(ctx: JobCtx, job: Export, env: RgpdEnv) -> Result<serde_json::Value, JobError> {
    let final_attempt = ctx.attempt >= ctx.max_attempts;
    crm_rgpd::requests::run_export(&env, job.request_id, &ctx, final_attempt).await
}
