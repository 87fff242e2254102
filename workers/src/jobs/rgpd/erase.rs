//! `rgpd.erase`: forget a subject (ledger first).

use crm_queue::runtime::{JobCtx, JobError};
use crm_rgpd::RgpdEnv;
use shared::jobs::payloads::rgpd::Erase;

/// Handler of `rgpd.erase`.
pub async fn erase(ctx: JobCtx, job: Erase, env: RgpdEnv) -> Result<serde_json::Value, JobError> {
    crm_rgpd::requests::run_erase(&env, job.request_id, &ctx).await
}
