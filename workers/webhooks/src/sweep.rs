//! `webhooks.sweep`, every minute: deliveries whose job was lost (Redis flushed, an enqueue that failed
//! after the relay committed) go to a job again; endpoints whose every attempt failed for
//! `WEBHOOK_DISABLE_AFTER_HOURS` are turned off; finished deliveries and relayed events older than
//! `WEBHOOK_LOG_RETENTION_DAYS` are deleted.

use chrono::Utc;
use crm_queue::{EnqueueOptions, JobQueue};
use diesel::prelude::*;
use serde_json::json;
use shared::db::{DbError, run_blocking};
use shared::jobs::payloads::webhooks::Deliver;
use shared::models::{event, webhook as wh};
use shared::schema::webhook_endpoints as e;

use crate::WebhookEnv;
use crate::deliver::disable_endpoint;

/// A pending delivery whose attempt was due this long ago is taken to have lost its job.
const LOST_AFTER: chrono::TimeDelta = chrono::TimeDelta::minutes(5);
/// Deliveries handed to a job per sweep.
const BATCH: i64 = 1_000;

/// What a sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SweepReport {
    pub requeued: usize,
    pub endpoints_disabled: usize,
    pub deliveries_purged: usize,
    pub events_purged: usize,
}

/// The host of `url`, which names the delivery's rate-limit bucket.
pub fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Each delivery with its endpoint's host (what [`hand_to_jobs`] needs), one query for all.
pub fn with_hosts(
    conn: &mut PgConnection,
    deliveries: &[wh::WebhookDelivery],
) -> Result<Vec<(wh::WebhookDeliveryId, String)>, DbError> {
    let endpoints: Vec<(wh::WebhookEndpointId, String)> = e::table
        .filter(e::id.eq_any(deliveries.iter().map(|d| d.endpoint_id).collect::<Vec<_>>()))
        .select((e::id, e::url))
        .load(conn)?;
    Ok(deliveries
        .iter()
        .map(|d| {
            let host = endpoints
                .iter()
                .find(|(id, _)| *id == d.endpoint_id)
                .map(|(_, url)| host_of(url))
                .unwrap_or_default();
            (d.id, host)
        })
        .collect())
}

/// Enqueues `webhooks.deliver` for `deliveries` and notes the job on each; returns how many were enqueued.
pub async fn hand_to_jobs(
    pool: &shared::db::PgPool,
    queue: &JobQueue,
    deliveries: Vec<(wh::WebhookDeliveryId, String)>,
) -> Result<usize, anyhow::Error> {
    let jobs: Vec<Deliver> = deliveries
        .iter()
        .map(|(id, host)| Deliver {
            delivery_id: *id,
            host: host.clone(),
            replay: None,
        })
        .collect();
    if jobs.is_empty() {
        return Ok(0);
    }
    let enqueued = queue.enqueue_bulk(&jobs, EnqueueOptions::default()).await?;
    let pairs: Vec<(wh::WebhookDeliveryId, String)> = jobs
        .iter()
        .zip(&enqueued)
        .map(|(j, e)| (j.delivery_id, e.job_id.to_string()))
        .collect();
    let n = pairs.len();
    run_blocking(pool, move |c| {
        for (id, job) in &pairs {
            wh::set_delivery_job(c, *id, job)?;
        }
        Ok(())
    })
    .await?;
    Ok(n)
}

pub async fn run(env: &WebhookEnv, queue: &JobQueue) -> Result<SweepReport, anyhow::Error> {
    let now = Utc::now();
    let lost = run_blocking(&env.pool, move |c| {
        let overdue = wh::overdue_pending(c, now - LOST_AFTER, BATCH)?;
        with_hosts(c, &overdue)
    })
    .await?;
    let requeued = hand_to_jobs(&env.pool, queue, lost).await?;
    let disable_after = chrono::Duration::from_std(env.config.disable_after).unwrap_or_default();
    let retention = chrono::Duration::from_std(env.config.log_retention).unwrap_or_default();
    let (endpoints_disabled, deliveries_purged, events_purged) =
        run_blocking(&env.pool, move |c| {
            let failing: Vec<wh::WebhookEndpointId> = e::table
                .filter(e::active)
                .filter(e::failing_since.lt(now - disable_after))
                .select(e::id)
                .load(c)?;
            let mut disabled = 0;
            for id in failing {
                if disable_endpoint(c, id, "failing")?.is_some() {
                    disabled += 1;
                }
            }
            let deliveries = wh::purge_finished(c, now - retention)?;
            let events = event::purge_relayed(c, now - retention)?;
            Ok((disabled, deliveries, events))
        })
        .await?;
    let report = SweepReport {
        requeued,
        endpoints_disabled,
        deliveries_purged,
        events_purged,
    };
    if report != SweepReport::default() {
        tracing::info!(report = %json!(report), "webhook sweep");
    }
    Ok(report)
}
