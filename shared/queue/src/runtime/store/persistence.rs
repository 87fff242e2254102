//! [`QueueStore`]: what apalis' [`Persisted`](apalis_core::backend::persistence::Persisted) loop calls.

use std::sync::{Arc, LazyLock};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{JobEnvelope, JobQueue, UNREADABLE_ENVELOPE, candidate_job, scripts};
use apalis_core::backend::persistence::{Persistence, TaskEvent};
use apalis_core::task::Task;
use apalis_core::task::builder::TaskBuilder;
use apalis_core::task::task_id::TaskId;
use apalis_core::worker::context::WorkerContext;
use redis::Script;
use shared::jobs::Queue;
use shared::redis_conn::RedisConn;

use super::StoreError;

static FETCH: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("fetch.lua")));
/// A script that starts with `held.lua` (giving a worker's whole in-flight set back).
macro_rules! held_script {
    ($file:literal) => {
        LazyLock::new(|| Script::new(concat!(include_str!("held.lua"), "\n", include_str!($file))))
    };
}

static REGISTER: LazyLock<Script> = held_script!("register.lua");
static HEARTBEAT: LazyLock<Script> = held_script!("heartbeat.lua");
/// Used at shutdown once the grace period is over (`runtime::release_inflight`).
pub static RELEASE: LazyLock<Script> = held_script!("release.lua");
static QUARANTINE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("quarantine.lua")));

/// One queue's storage in Redis; cheap to clone (apalis clones it for every call).
#[derive(Clone)]
pub struct QueueStore {
    conn: RedisConn,
    at: Arc<Location>,
}

/// The queue, its settings and its keys, computed once.
struct Location {
    queue: Queue,
    /// For the dead letters of jobs whose envelope is set aside.
    jobs: JobQueue,
    config: apalis_redis::Config,
    workers: String,
    ready: String,
    data: String,
    inflight_prefix: String,
    malformed: String,
    notify: String,
}

impl QueueStore {
    pub fn new(queue: &JobQueue, q: Queue, config: apalis_redis::Config) -> Self {
        let keys = queue.keys();
        Self {
            conn: queue.connection(),
            at: Arc::new(Location {
                queue: q,
                jobs: queue.clone(),
                workers: keys.apalis_workers(q),
                ready: keys.active(q),
                data: keys.data(q),
                inflight_prefix: keys.apalis_inflight(q, ""),
                malformed: keys.malformed(q),
                notify: keys.notify(q),
                // apalis-redis' name for the queue, so the config reads as it would for RedisStorage.
                config: config.queue(keys.apalis_queue(q)),
            }),
        }
    }

    pub fn config(&self) -> &apalis_redis::Config {
        &self.at.config
    }

    fn inflight(&self, worker: &WorkerContext) -> String {
        format!("{}{}", self.at.inflight_prefix, worker.name())
    }

    /// Decodes fetched envelopes; those that cannot be decoded, or name another task, are quarantined.
    async fn decode(
        &mut self,
        worker: &WorkerContext,
        ids: Vec<String>,
        envelopes: Vec<Vec<u8>>,
    ) -> Result<Vec<Task<JobEnvelope>>, StoreError> {
        let mut tasks = Vec::with_capacity(ids.len());
        let mut bad = Vec::new();
        let mut owners = Vec::new();
        for (id, raw) in ids.into_iter().zip(envelopes) {
            match serde_json::from_slice::<JobEnvelope>(&raw) {
                Ok(env) if id.parse() == Ok(env.task_id) => {
                    // A string id: apalis-core's `TaskId::Ulid` is another major version of the ulid crate.
                    tasks.push(
                        TaskBuilder::new(env)
                            .task_id(TaskId::from_string(id))
                            .build(),
                    );
                    continue;
                }
                Ok(_) => {
                    tracing::error!(queue = %self.at.queue, task_id = %id, "task envelope names another task; quarantined");
                }
                // The error's category and position only: its message can quote the envelope.
                Err(e) => {
                    tracing::error!(queue = %self.at.queue, task_id = %id, kind = ?e.classify(), line = e.line(),
                        column = e.column(), "undecodable task envelope; quarantined");
                }
            }
            owners.extend(candidate_job(&id, &raw).map(|job| (job, id.clone())));
            bad.push(id);
        }
        if !bad.is_empty() {
            metrics::counter!("tasks_quarantined_total", "queue" => self.at.queue.as_str())
                .increment(bad.len() as u64);
            let _: i64 = QUARANTINE
                .key(self.inflight(worker))
                .key(&self.at.data)
                .key(&self.at.malformed)
                .arg(&bad)
                .invoke_async(&mut self.conn)
                .await?;
            // The jobs these tasks belong to go to the dead-letter set (only where the job's record names the
            // task), where an operator sees them and can requeue them from their records.
            for (job, task) in owners {
                if self
                    .at
                    .jobs
                    .bury(self.at.queue, &job, &task, 0, UNREADABLE_ENVELOPE, true)
                    .await?
                {
                    tracing::warn!(queue = %self.at.queue, job.id = %job, task_id = %task,
                        "job of a quarantined envelope moved to dead-letter");
                }
            }
        }
        Ok(tasks)
    }
}

/// Unix time in seconds: apalis-redis scores heartbeats in seconds.
fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

impl Persistence for QueueStore {
    type Compact = JobEnvelope;
    type Response = ();
    type Error = StoreError;

    async fn register(&mut self, worker: &WorkerContext) -> Result<(), StoreError> {
        let recovered: i64 = REGISTER
            .key(&self.at.workers)
            .key(&self.at.ready)
            .key(self.inflight(worker))
            .arg(now_secs())
            .arg(worker.name())
            .arg(self.at.config.heartbeat_interval.as_secs())
            .arg(&self.at.notify)
            .invoke_async(&mut self.conn)
            .await?;
        if recovered > 0 {
            tracing::info!(queue = %self.at.queue, recovered, "tasks of a previous worker of this name requeued");
        }
        Ok(())
    }

    async fn heartbeat(&mut self, worker: &WorkerContext) -> Result<(), StoreError> {
        let now = now_secs();
        let silent_since = now.saturating_sub(self.at.config.orphaned_duration().as_secs());
        let recovered: i64 = HEARTBEAT
            .key(&self.at.workers)
            .key(&self.at.ready)
            .arg(now)
            .arg(worker.name())
            .arg(silent_since)
            .arg(&self.at.inflight_prefix)
            .arg(&self.at.notify)
            .invoke_async(&mut self.conn)
            .await?;
        if recovered > 0 {
            metrics::counter!("tasks_orphan_recovered_total", "queue" => self.at.queue.as_str())
                .increment(recovered as u64);
            tracing::warn!(queue = %self.at.queue, recovered, "in-flight tasks of silent workers requeued");
        }
        Ok(())
    }

    async fn fetch_next(
        &mut self,
        worker: &WorkerContext,
    ) -> Result<Vec<Task<JobEnvelope>>, StoreError> {
        let (ids, envelopes, gone): (Vec<String>, Vec<Vec<u8>>, u64) = FETCH
            .key(&self.at.workers)
            .key(&self.at.ready)
            .key(self.inflight(worker))
            .key(&self.at.data)
            .arg(self.at.config.batch_size)
            .arg(worker.name())
            .invoke_async(&mut self.conn)
            .await?;
        if gone > 0 {
            tracing::warn!(queue = %self.at.queue, gone, "ready task ids without an envelope dropped");
        }
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.decode(worker, ids, envelopes).await
    }

    async fn reenqueue_abandoned(
        &mut self,
        tasks: Vec<Task<JobEnvelope>>,
        worker: &WorkerContext,
    ) -> Result<u64, StoreError> {
        let ids: Vec<String> = tasks.iter().map(|t| t.args.task_id.to_string()).collect();
        let n: u64 = scripts::PUT_BACK
            .key(self.inflight(worker))
            .key(&self.at.ready)
            .arg(&self.at.notify)
            .arg(&ids)
            .invoke_async(&mut self.conn)
            .await?;
        Ok(n)
    }

    async fn handle_events(
        &mut self,
        _events: Vec<TaskEvent<()>>,
        _worker: &WorkerContext,
    ) -> Result<(), StoreError> {
        // The backend's layer is `Identity`: no events are ever sent.
        Ok(())
    }

    async fn push_tasks(&mut self, _tasks: Vec<Task<JobEnvelope>>) -> Result<(), StoreError> {
        Err(StoreError::PushUnsupported)
    }
}
