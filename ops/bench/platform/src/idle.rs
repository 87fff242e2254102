//! Phase 1: idle pickup, one job at a time with pauses so that the worker must be woken.

use std::time::{Duration, Instant};

use anyhow::bail;
use crm_queue::{EnqueueOptions, JobQueue};
use serde_json::{Value, json};
use shared::jobs::payloads::diag::Noop;

use crate::records::pickup_latencies;
use crate::stats::{Percentiles, latency_summary};

pub async fn idle_pickup(q: &JobQueue, n: usize) -> anyhow::Result<Value> {
    let mut conn = q.connection();
    let mut lat = Vec::with_capacity(n);
    let mut observed = Vec::with_capacity(n);
    let mut slow = Vec::new();
    let phase = Instant::now();
    for i in 0..n {
        // Let the worker go idle: it must be woken, not find the job on a poll it was doing anyway.
        tokio::time::sleep(Duration::from_millis(50 + rand::random::<u64>() % 100)).await;
        let t0 = Instant::now();
        let id = q
            .enqueue(
                &Noop {
                    tag: Some(format!("idle-{i}")),
                },
                EnqueueOptions::default(),
            )
            .await?
            .job_id;
        let key = q.keys().job(&id);
        loop {
            let state: Option<String> = redis::cmd("HGET")
                .arg(&key)
                .arg("state")
                .query_async(&mut conn)
                .await?;
            if state.as_deref() == Some("succeeded") {
                break;
            }
            if t0.elapsed() > Duration::from_secs(10) {
                bail!("idle job {id} not done after 10 s (state {state:?})");
            }
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
        observed.push(u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX));
        let got = pickup_latencies(q, &[id]).await?;
        // Which samples miss the 10 ms target, and when (seconds into the phase): a pattern in time points
        // at a periodic task of the worker, none at the host.
        for &ms in &got {
            if ms >= 10 {
                slow.push(json!({ "ms": ms, "at_s": (phase.elapsed().as_secs_f64() * 10.0).round() / 10.0 }));
            }
        }
        lat.extend(got);
    }
    let mut outliers: Vec<i64> = lat.iter().copied().filter(|ms| *ms >= 50).collect();
    outliers.sort_unstable();
    let mut v = latency_summary(&lat);
    let observed = Percentiles::new(observed);
    v["outliers_ge_50ms"] = json!(outliers);
    v["samples_ge_10ms"] = json!(slow);
    v["enqueue_to_observed_success_p50_us"] = json!(observed.at(50.0));
    v["enqueue_to_observed_success_p99_us"] = json!(observed.at(99.0));
    Ok(v)
}
