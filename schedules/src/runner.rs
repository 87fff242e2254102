//! The leader-elected scheduler loop.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use crm_queue::{EnqueueOptions, JobQueue};
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::{Entry, Lease, ScheduleTable};

/// Ticks older than this are not caught up after an outage of the whole cluster.
const MISFIRE_GRACE: Duration = Duration::from_secs(3_600);
/// At most this many missed ticks of one entry are fired on catch-up.
const MAX_CATCH_UP: usize = 10;

/// The last fire of an entry, as shown by `GET /api/v1/schedules`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TickResult {
    pub tick: DateTime<Utc>,
    pub fired_at: DateTime<Utc>,
    pub job_id: Option<String>,
    /// True when the tick had already been enqueued (by a previous leader).
    pub duplicate: bool,
    pub manual: bool,
    pub error: Option<String>,
}

/// Runs the table in one replica; only the lease holder enqueues.
pub struct Runner {
    queue: JobQueue,
    table: ScheduleTable,
    lease: Lease,
    /// The table's own enabled flags (after environment overrides), before operators' overrides.
    defaults: Vec<bool>,
}

impl Runner {
    pub fn new(queue: JobQueue, table: ScheduleTable, lease_ttl: Duration, holder: String) -> Self {
        let lease = Lease::new(
            queue.connection(),
            queue.keys().scheduler_leader(),
            holder,
            lease_ttl,
        );
        let defaults = table.entries.iter().map(|e| e.enabled).collect();
        Self {
            queue,
            table,
            lease,
            defaults,
        }
    }

    /// Loops until `stop`: renews the lease a few times per lease period and fires due ticks while leader.
    pub async fn run(mut self, stop: CancellationToken) {
        let renew_every = self.lease.ttl() / 3;
        let mut leader = false;
        loop {
            match self.lease.acquire_or_renew().await {
                Ok(now_leader) => {
                    if now_leader != leader {
                        tracing::info!(leader = now_leader, "scheduler leadership changed");
                        metrics::gauge!("scheduler_leader").set(if now_leader { 1.0 } else { 0.0 });
                    }
                    leader = now_leader;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "scheduler lease unavailable");
                    leader = false;
                }
            }
            if leader && let Err(e) = self.fire_due().await {
                tracing::warn!(error = %e, "scheduler could not fire due ticks");
            }
            let wait = if leader {
                self.until_next_tick().min(renew_every)
            } else {
                renew_every
            };
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(wait) => {}
            }
        }
        if leader {
            let _ = self.lease.release().await;
        }
    }

    fn until_next_tick(&self) -> Duration {
        let now = Utc::now();
        self.table
            .entries
            .iter()
            .filter(|e| e.enabled)
            .filter_map(|e| e.next_after(now, self.table.timezone))
            .min()
            .and_then(|next| (next - now).to_std().ok())
            .unwrap_or(Duration::from_secs(60))
            // Wake a hair after the tick so `now` is past it.
            + Duration::from_millis(5)
    }

    /// Enqueues every due tick of every enabled entry (once per tick, cluster-wide).
    pub async fn fire_due(&mut self) -> Result<(), redis::RedisError> {
        let keys = self.queue.keys().clone();
        let mut conn = self.queue.connection();
        // Operators' enable/disable, applied cluster-wide without restart.
        if let Ok(overrides) = enabled_overrides(&self.queue).await {
            for (entry, default) in self.table.entries.iter_mut().zip(&self.defaults) {
                entry.enabled = overrides.get(&entry.name).copied().unwrap_or(*default);
            }
        }
        let now = Utc::now();
        for entry in self.table.entries.iter() {
            if !entry.enabled {
                // A disabled entry's cursor follows the clock, so re-enabling it fires no backlog.
                let _: () = conn
                    .hset(keys.scheduler_last(), &entry.name, now.timestamp_millis())
                    .await?;
                continue;
            }
            let last: Option<i64> = conn.hget(keys.scheduler_last(), &entry.name).await?;
            let Some(last) = last.and_then(|ms| Utc.timestamp_millis_opt(ms).single()) else {
                // First run ever: start counting from now rather than firing the past.
                let _: () = conn
                    .hset(keys.scheduler_last(), &entry.name, now.timestamp_millis())
                    .await?;
                continue;
            };
            let grace = chrono::Duration::from_std(MISFIRE_GRACE).unwrap_or_default();
            let from = last.max(now - grace);
            for tick in entry.ticks_between(from, now, self.table.timezone, MAX_CATCH_UP) {
                let result = fire(&self.queue, entry, Some(tick)).await;
                if result.error.is_some() {
                    // Leave `last` where it is: the tick is retried on the next pass, under the same key.
                    break;
                }
                let _: () = conn
                    .hset(keys.scheduler_last(), &entry.name, tick.timestamp_millis())
                    .await?;
                let _: () = conn
                    .hset(
                        keys.scheduler_result(),
                        &entry.name,
                        serde_json::to_string(&result).unwrap_or_default(),
                    )
                    .await?;
            }
        }
        Ok(())
    }
}

/// Enables or disables an entry cluster-wide (persisted in Redis; every replica's runner reads it each
/// pass, so no restart is needed). Unknown names are the caller's to refuse.
pub async fn set_enabled(
    queue: &JobQueue,
    name: &str,
    enabled: bool,
) -> Result<(), redis::RedisError> {
    let mut conn = queue.connection();
    conn.hset(
        queue.keys().scheduler_enabled(),
        name,
        if enabled { "1" } else { "0" },
    )
    .await
}

/// Operators' overrides: entry name -> enabled.
pub async fn enabled_overrides(
    queue: &JobQueue,
) -> Result<std::collections::HashMap<String, bool>, redis::RedisError> {
    let mut conn = queue.connection();
    let raw: std::collections::HashMap<String, String> =
        conn.hgetall(queue.keys().scheduler_enabled()).await?;
    Ok(raw.into_iter().map(|(k, v)| (k, v == "1")).collect())
}

/// Enqueues an entry's job; `tick` gives the deterministic idempotency key, `None` is a manual run.
pub async fn fire(queue: &JobQueue, entry: &Entry, tick: Option<DateTime<Utc>>) -> TickResult {
    let now = Utc::now();
    let opts = EnqueueOptions {
        idempotency_key: tick.map(|t| format!("sched:{}:{}", entry.name, t.timestamp_millis())),
        ..Default::default()
    };
    let res = queue
        .enqueue_json(&entry.job, entry.payload.clone(), opts)
        .await;
    let (job_id, duplicate, error) = match res {
        Ok(e) => (Some(e.job_id.to_string()), e.duplicate, None),
        Err(e) => (None, false, Some(e.to_string())),
    };
    if let Some(err) = &error {
        tracing::warn!(schedule = %entry.name, error = %err, "scheduled enqueue failed");
    } else {
        metrics::counter!("scheduler_fires_total", "entry" => entry.name.clone())
            .increment(u64::from(!duplicate));
        tracing::info!(schedule = %entry.name, duplicate, "schedule fired");
    }
    TickResult {
        tick: tick.unwrap_or(now),
        fired_at: now,
        job_id,
        duplicate,
        manual: tick.is_none(),
        error,
    }
}
