//! `rgpd.erase`: forget a subject (ledger first).

use crm_queue::runtime::{JobCtx, JobError};
use crm_rgpd::RgpdEnv;
use shared::jobs::payloads::rgpd::Erase;

/// Handler of `rgpd.erase`.
pub async fn erase(ctx: JobCtx, job: Erase, env: RgpdEnv) -> Result<serde_json::Value, JobError> {
    let final_attempt = ctx.attempt >= ctx.max_attempts;
    crm_rgpd::requests::run_erase(&env, job.request_id, &ctx, final_attempt).await
}
