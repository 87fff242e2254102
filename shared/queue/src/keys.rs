//! The Redis key layout, in one place.
//!
//! apalis-redis keys live under `{ns}:q:{queue}` (its `Config::queue`); ours (job records, the delayed set,
//! dead letters, idempotency, scheduler, rate limits) under `{ns}:`. Scripts receive key prefixes as arguments,
//! which assumes a single Redis (or a primary with replicas), not Redis Cluster.

use crate::JobId;
use shared::jobs::Queue;

/// Key builder for one namespace.
#[derive(Debug, Clone)]
pub struct Keys {
    ns: String,
}

impl Keys {
    /// Keys under namespace `ns` (from `REDIS_NAMESPACE`; tests use a unique one each).
    pub fn new(ns: impl Into<String>) -> Self {
        Self { ns: ns.into() }
    }

    /// The namespace.
    pub fn ns(&self) -> &str {
        &self.ns
    }

    /// The apalis-redis queue name for `queue`; apalis derives its keys from it.
    pub fn apalis_queue(&self, queue: Queue) -> String {
        format!("{}:q:{}", self.ns, queue)
    }
    /// Prefix of apalis queue names: `{prefix}{queue}:active` is a queue's ready list.
    pub fn apalis_prefix(&self) -> String {
        format!("{}:q:", self.ns)
    }
    pub fn active(&self, queue: Queue) -> String {
        format!("{}:active", self.apalis_queue(queue))
    }
    pub fn data(&self, queue: Queue) -> String {
        format!("{}:data", self.apalis_queue(queue))
    }
    /// Hash of tasks set aside because their envelope could not be decoded (task id -> raw envelope).
    pub fn malformed(&self, queue: Queue) -> String {
        format!("{}:malformed:{}", self.ns, queue)
    }
    pub fn apalis_scheduled(&self, queue: Queue) -> String {
        format!("{}:scheduled", self.apalis_queue(queue))
    }
    pub fn apalis_workers(&self, queue: Queue) -> String {
        format!("{}:workers", self.apalis_queue(queue))
    }
    pub fn apalis_inflight(&self, queue: Queue, worker: &str) -> String {
        format!("{}:inflight:{}", self.apalis_queue(queue), worker)
    }

    /// Hash holding a job's record (state, attempts, payload, result, progress).
    pub fn job(&self, id: &JobId) -> String {
        format!("{}:job:{}", self.ns, id)
    }
    pub fn job_prefix(&self) -> String {
        format!("{}:job:", self.ns)
    }
    /// List of a job's attempt errors, newest first.
    pub fn job_errors(&self, id: &JobId) -> String {
        format!("{}:job:{}:errors", self.ns, id)
    }
    /// Sorted set of tasks waiting for their time (`queue|task_id`, score = due time in ms).
    pub fn delayed(&self) -> String {
        format!("{}:delayed", self.ns)
    }
    /// Per-queue twin of [`Self::delayed`] (task ids), for counts and listings.
    pub fn delayed_in(&self, queue: Queue) -> String {
        format!("{}:delayed:{}", self.ns, queue)
    }
    pub fn delayed_prefix(&self) -> String {
        format!("{}:delayed:", self.ns)
    }
    /// Set of job ids running in a queue (maintained by the start/finish scripts).
    pub fn running(&self, queue: Queue) -> String {
        format!("{}:running:{}", self.ns, queue)
    }
    /// Per-queue twin of [`Self::dead`].
    pub fn dead_in(&self, queue: Queue) -> String {
        format!("{}:dead:{}", self.ns, queue)
    }
    /// Hash of counters (`succeeded`, `failed`, `dead`) of one queue for one minute (unix ms / 60000).
    pub fn stats(&self, queue: Queue, minute: i64) -> String {
        format!("{}:stats:{}:{}", self.ns, queue, minute)
    }
    /// Sorted set of dead job ids, score = time of death in ms.
    pub fn dead(&self) -> String {
        format!("{}:dead", self.ns)
    }
    pub fn idempotency_prefix(&self) -> String {
        format!("{}:idem:", self.ns)
    }
    /// Pub/sub channel that wakes idle workers of a queue.
    pub fn notify(&self, queue: Queue) -> String {
        format!("{}:notify:{}", self.ns, queue)
    }
    pub fn notify_prefix(&self) -> String {
        format!("{}:notify:", self.ns)
    }
    /// Sorted set of live worker processes, score = last heartbeat in ms.
    /// Pub/sub channel of new in-app notifications (the workers' relay publishes, every API replica's
    /// stream listens).
    pub fn notifications_channel(&self) -> String {
        format!("{}:ch:notifications", self.ns)
    }
    /// Pub/sub channel of job progress (`JobQueue::set_progress` publishes, `/jobs/{id}/events` listens).
    pub fn job_events_channel(&self) -> String {
        format!("{}:ch:job-events", self.ns)
    }
    pub fn processes(&self) -> String {
        format!("{}:procs", self.ns)
    }
    pub fn process(&self, id: &str) -> String {
        format!("{}:proc:{}", self.ns, id)
    }
    /// Set of paused queue names (workers of every process stop fetching from them).
    pub fn paused(&self) -> String {
        format!("{}:paused", self.ns)
    }
    /// Scheduler leader lease.
    pub fn scheduler_leader(&self) -> String {
        format!("{}:sched:leader", self.ns)
    }
    /// Hash: schedule entry name -> last fired tick (unix ms).
    pub fn scheduler_last(&self) -> String {
        format!("{}:sched:last", self.ns)
    }
    /// Hash: schedule entry name -> "1"/"0", operators' enable/disable (overrides the table, cluster-wide).
    pub fn scheduler_enabled(&self) -> String {
        format!("{}:sched:enabled", self.ns)
    }
    /// Hash: schedule entry name -> last result (JSON).
    pub fn scheduler_result(&self) -> String {
        format!("{}:sched:result", self.ns)
    }
    /// Rate-limit counter for `bucket` in the window starting at `window`.
    pub fn rate_limit(&self, bucket: &str, window: i64) -> String {
        format!("{}:rl:{}:{}", self.ns, bucket, window)
    }
    /// Hash: the state of global rate-limit bucket `name` (GCRA time, pause, counters).
    pub fn bucket(&self, name: &str) -> String {
        format!("{}:bucket:{}", self.ns, name)
    }
    /// Set: the names of the rate-limit buckets in use.
    pub fn buckets(&self) -> String {
        format!("{}:buckets", self.ns)
    }
}
