//! Workers: live worker processes (heartbeat within 30 s), per-queue waiting depth and oldest waiting age,
//! delayed, dead and quarantined counts.

use crm_queue::{JobQueue, QueueDepth, now_ms};
use redis::AsyncCommands;
use serde::Serialize;
use shared::jobs::Queue;

use super::{WORKER_LIVENESS_MS, bounded};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkersHealth {
    /// Worker processes whose last heartbeat is at most 30 s old.
    pub live_processes: u64,
    pub queues: Vec<QueueDepth>,
    /// Jobs waiting for their time (scheduled or between retries).
    pub delayed: u64,
    /// Jobs in the dead-letter set.
    pub dead: u64,
    /// Tasks set aside because a worker could not decode their envelope (Redis hashes
    /// `{ns}:malformed:{queue}`, task id -> raw envelope); they wait for an operator.
    pub quarantined: u64,
}

pub(super) async fn check(queue: &JobQueue) -> Result<WorkersHealth, String> {
    let probe = async {
        let mut conn = queue.connection();
        let live: u64 = conn
            .zcount(
                queue.keys().processes(),
                now_ms() - WORKER_LIVENESS_MS,
                "+inf",
            )
            .await?;
        let queues = queue.depths(&Queue::ALL).await?;
        let delayed = queue.delayed_count().await?;
        let dead: u64 = conn.zcard(queue.keys().dead()).await?;
        let mut pipe = redis::pipe();
        for q in Queue::ALL {
            pipe.hlen(queue.keys().malformed(q));
        }
        let quarantined: Vec<u64> = pipe.query_async(&mut conn).await?;
        Ok::<_, redis::RedisError>(WorkersHealth {
            live_processes: live,
            queues,
            delayed,
            dead,
            quarantined: quarantined.iter().sum(),
        })
    };
    bounded("workers", probe).await
}
