//! What operators see of the global rate-limit buckets (dashboard, Prometheus): read from the bucket
//! hashes that `lua/start_limited.lua` keeps, so every process shows the same figures.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use redis::AsyncCommands;
use serde::Serialize;

use crate::{JobQueue, now_ms};

/// One bucket now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BucketView {
    pub name: String,
    /// Starts allowed per period, e.g. `60/min`.
    pub limit: String,
    pub per_period: u32,
    pub period_ms: u64,
    pub burst: u32,
    /// Starts that could begin right now (0 while paused or saturated).
    pub tokens: f64,
    /// Jobs held back now, waiting for their turn (estimated from the turns handed out).
    pub waiting: u64,
    /// Set while a provider's 429 pauses the bucket.
    pub paused_until: Option<DateTime<Utc>>,
    /// Totals since the bucket was last idle for a day.
    pub granted: u64,
    pub throttled: u64,
    pub provider_pauses: u64,
}

fn field<T: std::str::FromStr>(h: &HashMap<String, String>, k: &str) -> Option<T> {
    h.get(k).and_then(|v| v.parse().ok())
}

impl BucketView {
    fn from_hash(name: String, h: &HashMap<String, String>, now: f64) -> Option<Self> {
        let per_period: u32 = field(h, "limit")?;
        let period_ms: f64 = field(h, "period_ms")?;
        let burst: u32 = field(h, "burst").unwrap_or(1);
        let interval = period_ms / f64::from(per_period.max(1));
        let tat = field::<f64>(h, "tat").unwrap_or(0.0).max(now);
        let paused = field::<f64>(h, "paused_until").unwrap_or(0.0);
        let wake = field::<f64>(h, "wake").unwrap_or(0.0);
        let tokens = if paused > now {
            0.0
        } else {
            ((f64::from(burst) * interval - (tat - now)) / interval).clamp(0.0, f64::from(burst))
        };
        let limit = shared::config::BucketLimit {
            limit: per_period,
            period: std::time::Duration::from_millis(period_ms as u64),
            burst,
        };
        Some(Self {
            name,
            limit: limit.to_string(),
            per_period,
            period_ms: period_ms as u64,
            burst,
            tokens: tokens.floor(),
            waiting: ((wake - now) / interval).ceil().max(0.0) as u64,
            paused_until: (paused > now)
                .then(|| Utc.timestamp_millis_opt(paused as i64).single())
                .flatten(),
            granted: field(h, "granted").unwrap_or(0),
            throttled: field(h, "throttled").unwrap_or(0),
            provider_pauses: field(h, "provider_pauses").unwrap_or(0),
        })
    }
}

impl JobQueue {
    /// Every bucket in use, by name; buckets idle for a day have expired and are dropped from the index.
    pub async fn buckets(&self) -> Result<Vec<BucketView>, redis::RedisError> {
        let keys = self.keys().clone();
        let mut conn = self.connection();
        let mut names: Vec<String> = conn.smembers(keys.buckets()).await?;
        names.sort();
        let now = now_ms() as f64;
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            let h: HashMap<String, String> = conn.hgetall(keys.bucket(&name)).await?;
            match BucketView::from_hash(name.clone(), &h, now) {
                Some(view) => out.push(view),
                None => {
                    let _: i64 = conn.srem(keys.buckets(), &name).await?;
                }
            }
        }
        Ok(out)
    }
}

/// Publishes the buckets as Prometheus gauges (`rate_limit_*`, labelled by bucket).
pub fn record_gauges(buckets: &[BucketView]) {
    for b in buckets {
        let name = b.name.clone();
        metrics::gauge!("rate_limit_tokens", "bucket" => name.clone()).set(b.tokens);
        metrics::gauge!("rate_limit_limit_per_second", "bucket" => name.clone())
            .set(f64::from(b.per_period) * 1_000.0 / b.period_ms.max(1) as f64);
        metrics::gauge!("rate_limit_waiting_jobs", "bucket" => name.clone()).set(b.waiting as f64);
        metrics::gauge!("rate_limit_granted", "bucket" => name.clone()).set(b.granted as f64);
        metrics::gauge!("rate_limit_throttled", "bucket" => name.clone()).set(b.throttled as f64);
        metrics::gauge!("rate_limit_paused", "bucket" => name).set(if b.paused_until.is_some() {
            1.0
        } else {
            0.0
        });
    }
}
