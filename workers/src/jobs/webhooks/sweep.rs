//! `webhooks.sweep`: lost deliveries, failing endpoints, old logs.

use crm_queue::runtime::{JobCtx, JobError};
use crm_webhooks::WebhookEnv;
use shared::jobs::payloads::webhooks::Sweep;

/// Handler of `webhooks.sweep`.
pub async fn sweep(
    ctx: JobCtx,
    _job: Sweep,
    env: WebhookEnv,
) -> Result<serde_json::Value, JobError> {
    let report = crm_webhooks::sweep::run(&env, &ctx.app.queue).await?;
    Ok(serde_json::to_value(report).unwrap_or_default())
}
