//! The bookkeeping steps every job takes (marked running, then succeeded, or forgotten after any other
//! ending), batched across the jobs of this process: one `start_many.lua` / `succeed_many.lua` /
//! `forget_many.lua` call for all the jobs that reached the step together. Rarer steps (retry, bury) stay
//! one script call per job.

use std::time::Duration;

use shared::jobs::{JobEnvelope, JobQueue, Queue, now_ms, scripts};
use ulid::Ulid;

use super::batch::Batcher;

/// Where apalis keeps a task a worker fetched: the keys that must forget it once its attempt ended.
#[derive(Clone)]
pub struct TaskKeys {
    inflight: String,
    data: String,
    task_id: String,
}

impl TaskKeys {
    /// The keys of `task` fetched by the apalis worker `worker` of `queue`.
    pub fn new(queue: &JobQueue, q: Queue, worker: &str, task: &Ulid) -> Self {
        let keys = queue.keys();
        Self {
            inflight: keys.apalis_inflight(q, worker),
            data: keys.data(q),
            task_id: task.to_string(),
        }
    }
}

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
    job_id: String,
    result: String,
    attempt: u32,
    task: TaskKeys,
}

/// What `start` answers: the attempt number (-1: record gone, -2: stale task) and the job's creation time.
pub type Started = (i64, i64);

/// Batched start/succeed scripts of one worker process.
#[derive(Clone)]
pub struct Bookkeeping {
    queue: JobQueue,
    start: Batcher<StartItem, Started>,
    succeed: Batcher<SucceedItem, i64>,
    forget: Batcher<TaskKeys, ()>,
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
                    .key(&it.stats)
                    .key(&it.task.inflight)
                    .key(&it.task.data);
                call.arg(&it.task.task_id)
                    .arg(&it.job_id)
                    .arg(&it.result)
                    .arg(it.attempt);
            }
            async move { call.invoke_async(&mut conn).await }
        });
        let q = queue.clone();
        let forget = Batcher::spawn(move |items: Vec<TaskKeys>| {
            let mut conn = q.connection();
            let mut call = scripts::FORGET_MANY.prepare_invoke();
            for it in &items {
                call.key(&it.inflight).key(&it.data);
                call.arg(&it.task_id);
            }
            let n = items.len();
            async move {
                let _: i64 = call.invoke_async(&mut conn).await?;
                Ok(vec![(); n])
            }
        });
        Self {
            queue,
            start,
            succeed,
            forget,
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

    /// Records the success (ignored, with 0, when the task is stale) and forgets the task.
    pub async fn succeed(
        &self,
        env: &JobEnvelope,
        queue: Queue,
        attempt: u32,
        result: &serde_json::Value,
        task: &TaskKeys,
    ) -> Result<i64, redis::RedisError> {
        let keys = self.queue.keys();
        self.succeed
            .call(SucceedItem {
                record: keys.job(&env.job_id),
                errors: keys.job_errors(&env.job_id),
                running: keys.running(queue),
                stats: keys.stats(queue, now_ms() / 60_000),
                job_id: env.job_id.to_string(),
                result: result.to_string(),
                attempt,
                task: task.clone(),
            })
            .await
    }

    /// Forgets a task whose attempt ended otherwise (its retry, dead letter or skip is already recorded).
    pub async fn forget(&self, task: &TaskKeys) -> Result<(), redis::RedisError> {
        self.forget.call(task.clone()).await
    }

    /// Gives a task back to its queue once Redis answers again, after its bookkeeping could not be written:
    /// retried every few seconds until it succeeds or the task is no longer in this worker's in-flight set.
    /// Should this process end first, the task stays in that set and apalis' orphan recovery requeues it
    /// once the worker's heartbeat is stale.
    pub fn hand_back_later(&self, q: Queue, task: TaskKeys) {
        let queue = self.queue.clone();
        tokio::spawn(async move {
            let keys = queue.keys();
            let mut conn = queue.connection();
            let mut delay = Duration::from_secs(1);
            loop {
                let res: Result<i64, _> = scripts::HAND_BACK
                    .key(&task.inflight)
                    .key(keys.active(q))
                    .arg(&task.task_id)
                    .arg(keys.notify(q))
                    .invoke_async(&mut conn)
                    .await;
                match res {
                    Ok(_) => return,
                    Err(e) => tracing::debug!(error = %e, "hand-back failed; retrying"),
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        });
    }
}
