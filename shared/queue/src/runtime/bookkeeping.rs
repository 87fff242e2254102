//! The bookkeeping steps every job takes (marked running, then succeeded, or forgotten after any other
//! ending), batched across the jobs of this process: one `start_many.lua` / `succeed_many.lua` /
//! `forget_many.lua` call for all the jobs that reached the step together. Rarer steps (retry, bury) stay
//! one script call per job.

use std::sync::Arc;
use std::time::Duration;

use crate::{JobEnvelope, JobQueue, now_ms, scripts};
use shared::jobs::Queue;
use ulid::Ulid;

use super::batch::Batcher;

/// Where one apalis worker keeps the tasks it fetched; shared by all of them.
#[derive(PartialEq)]
pub struct WorkerKeys {
    queue: Queue,
    inflight: String,
    data: String,
}

impl WorkerKeys {
    /// The keys of the apalis worker `worker` of `queue`.
    pub fn new(jobs: &JobQueue, queue: Queue, worker: &str) -> Arc<Self> {
        let keys = jobs.keys();
        Arc::new(Self {
            queue,
            inflight: keys.apalis_inflight(queue, worker),
            data: keys.data(queue),
        })
    }
}

/// Where a fetched task is kept: what must forget it once its attempt ended.
#[derive(Clone)]
pub struct TaskKeys {
    worker: Arc<WorkerKeys>,
    task_id: String,
}

impl TaskKeys {
    /// Task `task`, fetched by the worker of `worker`.
    pub fn new(worker: &Arc<WorkerKeys>, task: &Ulid) -> Self {
        Self {
            worker: worker.clone(),
            task_id: task.to_string(),
        }
    }
}

/// A job about to run.
pub struct StartItem {
    queue: Queue,
    task_id: String,
    job_id: String,
}

/// A job that succeeded.
pub struct SucceedItem {
    job_id: String,
    result: String,
    attempt: u32,
    task: TaskKeys,
}

/// What `start` answers: the attempt number (-1: record gone, -2: stale task) and the job's creation time.
pub type Started = (i64, i64);

/// The 1-based index of `key` among `groups`, which it joins if new. A batch has a handful of groups at
/// most (one per queue, or per worker of a queue), so a linear search is the cheapest lookup.
fn group<T: PartialEq>(groups: &mut Vec<T>, key: T) -> usize {
    match groups.iter().position(|g| *g == key) {
        Some(i) => i + 1,
        None => {
            groups.push(key);
            groups.len()
        }
    }
}

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
            let keys = q.keys();
            let mut conn = q.connection();
            let mut call = scripts::START_MANY.prepare_invoke();
            call.arg(now_ms()).arg(&worker_id).arg(keys.job_prefix());
            let mut queues = Vec::new();
            for it in &items {
                let g = group(&mut queues, it.queue);
                call.arg(&it.task_id).arg(&it.job_id).arg(g);
            }
            for queue in queues {
                call.key(keys.running(queue));
            }
            async move {
                let flat: Vec<i64> = call.invoke_async(&mut conn).await?;
                Ok(flat.chunks_exact(2).map(|p| (p[0], p[1])).collect())
            }
        });
        let q = queue.clone();
        let succeed = Batcher::spawn(move |items: Vec<SucceedItem>| {
            let keys = q.keys();
            let mut conn = q.connection();
            let mut call = scripts::SUCCEED_MANY.prepare_invoke();
            call.arg(now_ms())
                .arg(q.record_ttl_secs())
                .arg(keys.job_prefix());
            let mut workers = Vec::new();
            for it in &items {
                let g = group(&mut workers, &it.task.worker);
                call.arg(&it.task.task_id)
                    .arg(&it.job_id)
                    .arg(&it.result)
                    .arg(it.attempt)
                    .arg(g);
            }
            let minute = now_ms() / 60_000;
            for w in workers {
                call.key(keys.running(w.queue))
                    .key(keys.stats(w.queue, minute))
                    .key(&w.inflight)
                    .key(&w.data);
            }
            async move { call.invoke_async(&mut conn).await }
        });
        let q = queue.clone();
        let forget = Batcher::spawn(move |items: Vec<TaskKeys>| {
            let mut conn = q.connection();
            let mut call = scripts::FORGET_MANY.prepare_invoke();
            let mut workers = Vec::new();
            for it in &items {
                let g = group(&mut workers, &it.worker);
                call.arg(&it.task_id).arg(g);
            }
            for w in workers {
                call.key(&w.inflight).key(&w.data);
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
        self.start
            .call(StartItem {
                queue,
                task_id: env.task_id.to_string(),
                job_id: env.job_id.to_string(),
            })
            .await
    }

    /// Records the success (ignored, with 0, when the task is stale) and forgets the task.
    pub async fn succeed(
        &self,
        env: &JobEnvelope,
        attempt: u32,
        result: &serde_json::Value,
        task: &TaskKeys,
    ) -> Result<i64, redis::RedisError> {
        self.succeed
            .call(SucceedItem {
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

    /// Gives a task back to the head of its queue once Redis answers again, after its bookkeeping could not
    /// be written: retried every few seconds until Redis answers (the script moves the task only if it is
    /// still in this worker's in-flight set). Should this process end first, the task stays in that set and
    /// the store's orphan recovery requeues it once the worker's heartbeat is stale.
    pub fn hand_back_later(&self, task: TaskKeys) {
        let queue = self.queue.clone();
        tokio::spawn(async move {
            let keys = queue.keys();
            let mut conn = queue.connection();
            let mut delay = Duration::from_secs(1);
            let q = task.worker.queue;
            loop {
                let res: Result<i64, _> = scripts::PUT_BACK
                    .key(&task.worker.inflight)
                    .key(keys.active(q))
                    .arg(keys.notify(q))
                    .arg(&task.task_id)
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

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        reason = "tests: a panic with its message is the failure report"
    )]

    use crate::test_utils::TestRedis;
    use crate::{EnqueueOptions, JobState};
    use apalis_core::backend::persistence::Persistence;
    use apalis_core::worker::context::WorkerContext;
    use futures::future::join_all;
    use redis::AsyncCommands;
    use shared::jobs::payloads::diag::Noop;
    use shared::jobs::payloads::maint::Backup;

    use super::super::store::QueueStore;
    use super::*;

    /// Fetches everything ready in `queue` as worker `name`, `batch` tasks at a time.
    async fn fetch_as(jobs: &JobQueue, queue: Queue, name: &str, batch: usize) -> Vec<JobEnvelope> {
        let config = apalis_redis::Config::default().batch_size(batch);
        let mut store = QueueStore::new(jobs, queue, config);
        let worker = WorkerContext::new(name);
        store.register(&worker).await.unwrap();
        let tasks = store.fetch_next(&worker).await.unwrap();
        tasks.into_iter().map(|t| t.args).collect()
    }

    // One current-thread runtime: every call below is queued before the batch loop runs, so each step is a
    // single script call mixing two queues (start) and three workers (succeed).
    #[tokio::test]
    async fn one_batch_mixing_queues_and_workers_lands_on_each_jobs_own_keys() {
        let redis = TestRedis::new();
        let jobs = redis.queue().await;
        let keys = jobs.keys().clone();
        for _ in 0..4 {
            jobs.enqueue(&Noop::default(), EnqueueOptions::default())
                .await
                .unwrap();
            jobs.enqueue(&Backup {}, EnqueueOptions::default())
                .await
                .unwrap();
        }
        let mut fetched = Vec::new();
        for (queue, name, batch) in [
            (Queue::Diag, "d1", 10),
            (Queue::Maint, "m1", 2),
            (Queue::Maint, "m2", 2),
        ] {
            let worker = WorkerKeys::new(&jobs, queue, name);
            for env in fetch_as(&jobs, queue, name, batch).await {
                fetched.push((queue, worker.clone(), env));
            }
        }
        assert_eq!(fetched.len(), 8);

        let book = Bookkeeping::spawn(jobs.clone(), "proc-1".into());
        let started = join_all(fetched.iter().map(|(q, _, env)| book.start(env, *q))).await;
        for s in started {
            assert_eq!(s.unwrap().0, 1, "first attempt");
        }
        let mut conn = jobs.connection();
        for q in [Queue::Diag, Queue::Maint] {
            let n: usize = conn.scard(keys.running(q)).await.unwrap();
            assert_eq!(n, 4, "{q} running set");
        }

        let result = serde_json::json!({"ok": true});
        let done = join_all(fetched.iter().map(|(_, w, env)| {
            let task = TaskKeys::new(w, &env.task_id);
            let book = book.clone();
            let result = result.clone();
            async move { book.succeed(env, 1, &result, &task).await }
        }))
        .await;
        for d in done {
            assert_eq!(d.unwrap(), 1);
        }
        for (_, _, env) in &fetched {
            let rec = jobs.get(&env.job_id).await.unwrap().unwrap();
            assert_eq!(rec.state, JobState::Succeeded);
            assert_eq!(rec.result, Some(result.clone()));
        }
        let minute = now_ms() / 60_000;
        for q in [Queue::Diag, Queue::Maint] {
            let running: usize = conn.scard(keys.running(q)).await.unwrap();
            let data: usize = conn.hlen(keys.data(q)).await.unwrap();
            let ok: Option<u64> = conn.hget(keys.stats(q, minute), "succeeded").await.unwrap();
            assert_eq!((running, data, ok), (0, 0, Some(4)), "{q}");
        }
        for (q, name) in [
            (Queue::Diag, "d1"),
            (Queue::Maint, "m1"),
            (Queue::Maint, "m2"),
        ] {
            let held: usize = conn.scard(keys.apalis_inflight(q, name)).await.unwrap();
            assert_eq!(held, 0, "{name} in-flight set");
        }
    }
}
