//! Background loops of a worker process: delayed-task promotion, the process registry (live workers for
//! health and the dashboard) and queue gauges.

use std::time::Duration;

use crate::{JobQueue, now_ms, scripts};
use redis::AsyncCommands;
use shared::jobs::Queue;
use tokio_util::sync::CancellationToken;

/// Tasks promoted per script call: far below Lua's unpack limit (~8,000), short enough not to block Redis.
const PROMOTE_CHUNK: usize = 500;
const PROMOTE_EVERY: Duration = Duration::from_millis(50);

/// Moves due delayed tasks to their queues in bounded chunks. Safe to run in every process.
pub async fn promote_loop(queue: JobQueue, stop: CancellationToken) {
    let keys = queue.keys().clone();
    let mut conn = queue.connection();
    loop {
        let mut moved = PROMOTE_CHUNK;
        while moved == PROMOTE_CHUNK && !stop.is_cancelled() {
            let res: Result<usize, _> = scripts::PROMOTE
                .key(keys.delayed())
                .arg(now_ms())
                .arg(PROMOTE_CHUNK)
                .arg(keys.apalis_prefix())
                .arg(keys.notify_prefix())
                .arg(keys.delayed_prefix())
                .invoke_async(&mut conn)
                .await;
            moved = match res {
                Ok(n) => n,
                Err(e) => {
                    tracing::debug!(error = %e, "promotion failed");
                    0
                }
            };
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(PROMOTE_EVERY) => {}
        }
    }
}

/// Facts about this process, published for health checks and the dashboard.
pub struct ProcessInfo {
    pub id: String,
    pub host: String,
    pub pid: u32,
    pub queues: Vec<Queue>,
    pub started_ms: i64,
    pub in_flight: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

/// Keeps this process in the live-process set; removes it on stop.
pub async fn process_heartbeat_loop(
    queue: JobQueue,
    info: ProcessInfo,
    every: Duration,
    stop: CancellationToken,
) {
    let keys = queue.keys().clone();
    let mut conn = queue.connection();
    let queues: Vec<&str> = info.queues.iter().map(|q| q.as_str()).collect();
    let ttl = (every.as_secs() * 3).max(3);
    loop {
        let now = now_ms();
        let res: Result<(), _> = redis::pipe()
            .hset_multiple(
                keys.process(&info.id),
                &[
                    ("host", info.host.clone()),
                    ("pid", info.pid.to_string()),
                    ("queues", queues.join(",")),
                    ("started_at", info.started_ms.to_string()),
                    ("heartbeat_at", now.to_string()),
                    (
                        "in_flight",
                        info.in_flight
                            .load(std::sync::atomic::Ordering::Relaxed)
                            .to_string(),
                    ),
                ],
            )
            .expire(keys.process(&info.id), i64::try_from(ttl).unwrap_or(15))
            .zadd(keys.processes(), &info.id, now)
            .zrembyscore(
                keys.processes(),
                "-inf",
                now - i64::try_from(ttl * 1000).unwrap_or(15_000),
            )
            .query_async(&mut conn)
            .await;
        if let Err(e) = res {
            tracing::debug!(error = %e, "process heartbeat failed");
        }
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep(every) => {}
        }
    }
    let _: Result<(), _> = redis::pipe()
        .del(keys.process(&info.id))
        .zrem(keys.processes(), &info.id)
        .query_async(&mut conn)
        .await;
}

/// Publishes queue depth gauges every few seconds.
pub async fn gauges_loop(queue: JobQueue, stop: CancellationToken) {
    loop {
        if let Ok(depths) = queue.depths(&Queue::ALL).await {
            for d in depths {
                metrics::gauge!("queue_depth", "queue" => d.queue.as_str()).set(d.waiting as f64);
                metrics::gauge!("queue_oldest_job_age_seconds", "queue" => d.queue.as_str())
                    .set(d.oldest_waiting_secs);
            }
        }
        if let Ok(n) = queue.delayed_count().await {
            metrics::gauge!("queue_delayed").set(n as f64);
        }
        if let Ok(buckets) = queue.buckets().await {
            crate::buckets::record_gauges(&buckets);
        }
        let mut conn = queue.connection();
        if let Ok(n) = conn.zcard::<_, u64>(queue.keys().dead()).await {
            metrics::gauge!("queue_dead").set(n as f64);
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
    }
}
