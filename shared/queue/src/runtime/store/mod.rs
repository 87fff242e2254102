//! The apalis backend of our queues: apalis' worker loop over apalis-redis' key layout, with our own scripts.
//!
//! apalis-redis' `RedisStorage` keeps a meta hash per task (attempts, status), written at enqueue, read at
//! every fetch and deleted when the task ends: three commands, and a key created and destroyed, per job. Our
//! job records already hold attempts and state, so this store keeps only what apalis-redis keeps besides:
//! the ready list, the data hash of envelopes, the workers zset (heartbeats, in seconds) and one in-flight set
//! per worker. apalis' own [`Persisted`] drives it (register, heartbeat, fetch in batches, give back unstarted
//! tasks at shutdown).
//!
//! The semantics we rely on stay those of apalis-redis: a worker Redis no longer knows is refused at fetch
//! and heartbeat (it ends and its supervisor restarts it under a new name), and the in-flight tasks of a
//! worker silent for `heartbeat × missed heartbeats` go back on the ready list. There is no ack: the
//! bookkeeping scripts forget each task when they record how its attempt ended (`lib/forget.lua`).

mod persistence;
#[cfg(test)]
mod tests;

use std::task::{Context, Poll};

use crate::{JobEnvelope, JobQueue};
use apalis_core::backend::finalize::Ephemeral;
use apalis_core::backend::persistence::Persisted;
use apalis_core::backend::{Backend, BackendConfig};
use apalis_core::task::Task;
use apalis_core::worker::context::WorkerContext;
use shared::jobs::Queue;
use tower_layer::Identity;

pub use persistence::{QueueStore, RELEASE};

/// Why the store failed; any error ends the worker, whose supervisor restarts it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("tasks are enqueued through shared::jobs, not through apalis' sink")]
    PushUnsupported,
}

/// The backend of one queue's worker.
pub struct QueueBackend {
    persist: Persisted<QueueStore>,
}

impl QueueBackend {
    /// The backend of queue `q`; `config` gives the batch size, heartbeat and missed heartbeats (the store
    /// sets its queue name).
    pub fn new(queue: &JobQueue, q: Queue, config: apalis_redis::Config) -> Self {
        Self {
            persist: Persisted::new(QueueStore::new(queue, q, config)),
        }
    }
}

impl Backend for QueueBackend {
    type Task = Task<JobEnvelope>;
    type Error = StoreError;

    fn poll_ready(
        &mut self,
        cx: &mut Context<'_>,
        worker: &WorkerContext,
    ) -> Poll<Result<(), Self::Error>> {
        let heartbeat = self.persist.config().heartbeat_interval;
        self.persist.poll_ready(cx, worker, heartbeat)
    }

    fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
        worker: &WorkerContext,
    ) -> Poll<Option<Result<Self::Task, Self::Error>>> {
        self.persist.poll_next(cx, worker)
    }

    fn poll_close(
        &mut self,
        cx: &mut Context<'_>,
        worker: &WorkerContext,
    ) -> Poll<Result<(), Self::Error>> {
        self.persist.poll_close(cx, worker)
    }
}

impl BackendConfig for QueueBackend {
    type Args = JobEnvelope;
    type Id = ulid::Ulid;
    // Tasks come out decoded: no codec layer.
    type Kind = Ephemeral;
    type Config = apalis_redis::Config;
    // No task events: outcomes are recorded by the executor's bookkeeping, not by an apalis layer.
    type Layer = Identity;

    fn config(&self) -> &Self::Config {
        self.persist.config()
    }

    fn middleware(&mut self, _worker: &mut WorkerContext) -> Self::Layer {
        Identity::new()
    }
}
