//! `campaigns.tick`: launch, pace and finish campaigns; hand due sends to jobs.

use crm_campaigns::send::CampaignEnv;
use crm_queue::EnqueueOptions;
use crm_queue::runtime::{JobCtx, JobError};
use shared::db::run_blocking;
use shared::jobs::payloads::campaigns::{Send, Tick};
use shared::permissions::Actor;

/// Handler of `campaigns.tick`. Each send job acts for its campaign's owner, whose right to change the
/// campaign the worker checks again when the job runs.
pub async fn tick(
    ctx: JobCtx,
    _job: Tick,
    env: CampaignEnv,
) -> Result<serde_json::Value, JobError> {
    let (domain, lease) = (env.message_domain(), env.config.send_lease.as_secs() as i64);
    let report = run_blocking(&ctx.app.db, move |conn| {
        crm_campaigns::tick::tick(conn, chrono::Utc::now(), &domain, lease)
    })
    .await
    .map_err(|e| JobError::db(e, "running the campaign tick"))?;
    // One bulk enqueue per owner (the actor is an option of the call).
    let mut by_owner: std::collections::BTreeMap<Option<i64>, Vec<Send>> = Default::default();
    for d in &report.due {
        by_owner
            .entry(d.owner_id.map(|o| o.0))
            .or_default()
            .push(Send {
                campaign_id: d.campaign_id,
                send_id: d.send_id,
                round: d.round,
            });
    }
    for (owner, jobs) in by_owner {
        let opts = EnqueueOptions {
            actor: owner.map_or(Actor::System, |o| Actor::User(shared::models::UserId(o))),
            ..Default::default()
        };
        ctx.app
            .queue
            .enqueue_bulk(&jobs, opts)
            .await
            .map_err(|e| JobError::transient(anyhow::Error::new(e).context("enqueuing sends")))?;
    }
    Ok(serde_json::to_value(&report).unwrap_or_default())
}
