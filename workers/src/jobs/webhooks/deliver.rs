//! `webhooks.deliver`: one attempt at a delivery.

use crm_queue::runtime::{JobCtx, JobError};
use crm_webhooks::WebhookEnv;
use crm_webhooks::deliver::{self, Attempt};
use shared::jobs::payloads::webhooks::Deliver;

/// Handler of `webhooks.deliver`.
pub async fn deliver(
    ctx: JobCtx,
    job: Deliver,
    env: WebhookEnv,
) -> Result<serde_json::Value, JobError> {
    let attempt = Attempt {
        number: ctx.attempt,
        max: ctx.max_attempts,
        manual: job.replay.is_some(),
    };
    deliver::run(&env, job.delivery_id, attempt).await
}
