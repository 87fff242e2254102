//! `campaigns.send`: one campaign message to one recipient.

use std::time::Duration;

use crm_campaigns::send::{CampaignEnv, SendError, send_one};
use crm_queue::runtime::{JobCtx, JobError};
use shared::jobs::payloads::campaigns::Send;

/// Handler of `campaigns.send`. A record another job holds is retried after the lease; relay and
/// database trouble retry on the job's backoff.
pub async fn send(
    _ctx: JobCtx,
    job: Send,
    env: CampaignEnv,
) -> Result<serde_json::Value, JobError> {
    match send_one(&env, job.send_id).await {
        Ok(outcome) => Ok(serde_json::to_value(outcome).unwrap_or_default()),
        Err(SendError::InFlight) => Err(JobError::Transient {
            error: anyhow::Error::new(SendError::InFlight),
            retry_in: Some(env.config.send_lease + Duration::from_secs(1)),
        }),
        Err(SendError::Smtp(e)) if e.is_egress_refusal() => Err(JobError::permanent(
            anyhow::Error::new(e).context("the SMTP relay is refused"),
        )),
        Err(e) => Err(JobError::transient(anyhow::Error::new(e))),
    }
}
