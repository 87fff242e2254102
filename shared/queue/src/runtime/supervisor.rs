//! One supervised apalis worker per queue: restarted with a fresh name whenever it ends or stalls.
//!
//! The queue store (like apalis-redis) refuses a worker name that a live worker holds and, without a restart
//! policy, a refused or failed apalis worker silently ends while the process lives on. Each (re)start here
//! gets a unique name, and a watchdog restarts a worker whose heartbeat stopped although Redis answers (for
//! example after Redis restarted and forgot its registration).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::{JobEnvelope, now_ms};
use apalis::prelude::{WorkerBuilder, WorkerBuilderExt};
use apalis_core::backend::ext::BackendExt;
use apalis_core::backend::ext::poll_strategy::Strategy;
use redis::AsyncCommands;
use shared::jobs::Queue;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::bookkeeping::{TaskKeys, WorkerKeys};
use super::store::QueueBackend;
use super::{Executor, WakeHub};

/// Names of this process's live apalis workers, so shutdown can release their in-flight tasks.
#[derive(Clone, Default)]
pub struct LiveWorkers(Arc<Mutex<Vec<(Queue, String)>>>);

impl LiveWorkers {
    fn set(&self, queue: Queue, name: Option<String>) {
        if let Ok(mut v) = self.0.lock() {
            v.retain(|(q, _)| *q != queue);
            if let Some(n) = name {
                v.push((queue, n));
            }
        }
    }

    /// Snapshot of (queue, worker name).
    pub fn list(&self) -> Vec<(Queue, String)> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

/// What a queue supervisor needs.
pub struct QueueWorker {
    pub exec: Arc<Executor>,
    pub queue: Queue,
    pub concurrency: usize,
    pub wake: WakeHub,
    pub live: LiveWorkers,
    /// True while the queue is paused cluster-wide.
    pub paused: watch::Receiver<bool>,
}

impl QueueWorker {
    /// Runs (and restarts) the queue's worker until `stop` is cancelled, then lets it finish in-flight jobs.
    pub async fn supervise(mut self, stop: CancellationToken) {
        let mut generation = 0u32;
        let mut backoff = Duration::from_millis(200);
        while !stop.is_cancelled() {
            if *self.paused.borrow_and_update() {
                self.live.set(self.queue, None);
                tracing::info!(queue = %self.queue, "queue paused: not fetching");
                let mut paused = self.paused.clone();
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = paused.wait_for(|p| !*p) => {}
                }
                tracing::info!(queue = %self.queue, "queue resumed");
                continue;
            }
            generation += 1;
            let name = format!("{}.{}.{}", self.exec.worker_id, self.queue, generation);
            self.live.set(self.queue, Some(name.clone()));
            let started = Instant::now();
            let restart = CancellationToken::new();
            let watchdog = tokio::spawn(watch(
                self.exec.clone(),
                self.queue,
                name.clone(),
                restart.clone(),
            ));
            let result = self.run_once(&name, stop.clone(), restart.clone()).await;
            watchdog.abort();
            if stop.is_cancelled() {
                break;
            }
            if *self.paused.borrow() {
                continue;
            }
            metrics::counter!("worker_restarts_total", "queue" => self.queue.as_str()).increment(1);
            match result {
                Ok(()) if restart.is_cancelled() => {
                    tracing::warn!(queue = %self.queue, "worker stalled; restarting")
                }
                Ok(()) => tracing::warn!(queue = %self.queue, "worker ended; restarting"),
                Err(e) => {
                    tracing::warn!(queue = %self.queue, error = %e, "worker failed; restarting")
                }
            }
            if started.elapsed() > Duration::from_secs(30) {
                backoff = Duration::from_millis(200);
            }
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
        self.live.set(self.queue, None);
    }

    async fn run_once(
        &self,
        name: &str,
        stop: CancellationToken,
        restart: CancellationToken,
    ) -> anyhow::Result<()> {
        let cfg = &self.exec.app.config;
        // The store reads the batch size and heartbeat settings only: it has neither apalis-redis' ack (the
        // success/forget scripts remove a task from the in-flight set and data hash in the call that records
        // the outcome, which also keeps apalis' hidden retry loop out) nor its leases (`LREM active 1 <task>`
        // per fetched task, O(N^2) over a backlog), so its event and lease switches have nothing to turn off.
        let config = apalis_redis::Config::default()
            .batch_size(self.concurrency.clamp(1, 100))
            .heartbeat_interval(cfg.heartbeat)
            .missed_heartbeats(cfg.missed_heartbeats);
        let storage = QueueBackend::new(&self.exec.app.queue, self.queue, config);
        let strategy = Strategy::new()
            .stream(self.wake.subscribe(self.queue))
            .interval(cfg.poll_fallback);
        let backend = storage.poll_with_strategy(strategy);
        let exec = self.exec.clone();
        let mut paused = self.paused.clone();
        let worker_keys = WorkerKeys::new(&self.exec.app.queue, self.queue, name);
        let worker = WorkerBuilder::new(name)
            .backend(backend)
            .concurrency(self.concurrency)
            .build(move |env: JobEnvelope| {
                let exec = exec.clone();
                let task = TaskKeys::new(&worker_keys, &env.task_id);
                async move { exec.run(env, task).await }
            });
        let signal = async move {
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = restart.cancelled() => {}
                _ = paused.wait_for(|p| *p) => {}
            }
            Ok::<(), std::io::Error>(())
        };
        // Boxing as `dyn Future + Send` here, where every lifetime is concrete, sidesteps a higher-ranked
        // lifetime inference failure of rustc on apalis' deeply generic worker future inside `tokio::spawn`.
        let fut: std::pin::Pin<
            Box<dyn Future<Output = Result<(), apalis_core::error::WorkerError>> + Send>,
        > = Box::pin(worker.run_until(signal));
        fut.await.map_err(|e| anyhow::anyhow!("{e}"))
    }
}

/// Cancels `restart` when the worker's heartbeat is older than three intervals while Redis answers.
async fn watch(exec: Arc<Executor>, queue: Queue, name: String, restart: CancellationToken) {
    let hb = exec.app.config.heartbeat;
    let keys = exec.app.queue.keys().clone();
    let mut conn = exec.app.queue.connection();
    // Registration happens on the worker's first poll; give it one interval plus slack.
    tokio::time::sleep(hb * 2).await;
    loop {
        tokio::time::sleep(hb).await;
        let seen: Result<Option<f64>, _> = conn.zscore(keys.apalis_workers(queue), &name).await;
        let stale = match seen {
            // apalis scores heartbeats in seconds.
            Ok(Some(secs)) => (now_ms() as f64 / 1000.0 - secs) > 3.0 * hb.as_secs_f64(),
            Ok(None) => true,
            Err(_) => false, // Redis down: nothing a restart would fix yet.
        };
        if stale {
            restart.cancel();
            return;
        }
    }
}
