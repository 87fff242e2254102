//! The two bookkeeping steps every job takes (marked running, then succeeded), batched across the jobs of
//! this process: one `start_many.lua` / `succeed_many.lua` call for all the jobs that reached the step
//! together. Rarer steps (retry, bury) stay one script call per job.

use shared::jobs::{JobEnvelope, JobQueue, Queue, now_ms, scripts};

use super::batch::Batcher;

/// A job about to run.
pub struct StartItem {
    record: String,
    running: String,
    task_id: String,
    job_id: String,
}

/// A job that succeeded.
pub struct SucceedItem {
    record: String,
    errors: String,
    running: String,
    stats: String,
    task_id: String,
    job_id: String,
    result: String,
    attempt: u32,
}

/// What `start` answers: the attempt number (-1: record gone, -2: stale task) and the job's creation time.
pub type Started = (i64, i64);

/// Batched start/succeed scripts of one worker process.
#[derive(Clone)]
pub struct Bookkeeping {
    queue: JobQueue,
    start: Batcher<StartItem, Started>,
    succeed: Batcher<SucceedItem, i64>,
}

impl Bookkeeping {
    /// Spawns the batching loops (they end when the last handle is dropped).
    pub fn spawn(queue: JobQueue, worker_id: String) -> Self {
        let q = queue.clone();
        let start = Batcher::spawn(move |items: Vec<StartItem>| {
            let mut conn = q.connection();
            let mut call = scripts::START_MANY.prepare_invoke();
            call.arg(now_ms()).arg(&worker_id);
            for it in &items {
                call.key(&it.record).key(&it.running);
                call.arg(&it.task_id).arg(&it.job_id);
            }
            async move {
                let flat: Vec<i64> = call.invoke_async(&mut conn).await?;
                Ok(flat.chunks_exact(2).map(|p| (p[0], p[1])).collect())
            }
        });
        let q = queue.clone();
        let succeed = Batcher::spawn(move |items: Vec<SucceedItem>| {
            let mut conn = q.connection();
            let mut call = scripts::SUCCEED_MANY.prepare_invoke();
            call.arg(now_ms()).arg(q.record_ttl_secs());
            for it in &items {
                call.key(&it.record)
                    .key(&it.errors)
                    .key(&it.running)
                    .key(&it.stats);
                call.arg(&it.task_id)
                    .arg(&it.job_id)
                    .arg(&it.result)
                    .arg(it.attempt);
            }
            async move { call.invoke_async(&mut conn).await }
        });
        Self {
            queue,
            start,
            succeed,
        }
    }

    /// Marks the job running and counts the attempt.
    pub async fn start(
        &self,
        env: &JobEnvelope,
        queue: Queue,
    ) -> Result<Started, redis::RedisError> {
        let keys = self.queue.keys();
        self.start
            .call(StartItem {
                record: keys.job(&env.job_id),
                running: keys.running(queue),
                task_id: env.task_id.to_string(),
                job_id: env.job_id.to_string(),
            })
            .await
    }

    /// Records the success (ignored, with 0, when the task is stale).
    pub async fn succeed(
        &self,
        env: &JobEnvelope,
        queue: Queue,
        attempt: u32,
        result: &serde_json::Value,
    ) -> Result<i64, redis::RedisError> {
        let keys = self.queue.keys();
        self.succeed
            .call(SucceedItem {
                record: keys.job(&env.job_id),
                errors: keys.job_errors(&env.job_id),
                running: keys.running(queue),
                stats: keys.stats(queue, now_ms() / 60_000),
                task_id: env.task_id.to_string(),
                job_id: env.job_id.to_string(),
                result: result.to_string(),
                attempt,
            })
            .await
    }
}
