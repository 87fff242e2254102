//! Closed-loop producers shared by the sustained and commands phases: `enqueue_bulk` while the ready list
//! is shorter than `--max-waiting`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crm_queue::{EnqueueOptions, JobId, JobQueue};
use shared::jobs::Queue;
use shared::jobs::payloads::diag::Noop;
use shared::redis_conn::RedisConn;

use crate::args::Args;

pub struct Load {
    pub enqueued: AtomicU64,
    /// Length of the queue's ready list, kept current by [`waiting_sampler`].
    pub waiting: AtomicU64,
    pub stop: AtomicBool,
    /// Jobs still allowed to be enqueued (u64::MAX: unbounded).
    pub budget: AtomicU64,
    pub ids: Mutex<Vec<JobId>>,
    pub enqueue_errors: AtomicU64,
}

impl Load {
    pub fn new(budget: u64) -> Arc<Self> {
        Arc::new(Self {
            enqueued: AtomicU64::new(0),
            waiting: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            budget: AtomicU64::new(budget),
            ids: Mutex::new(Vec::new()),
            enqueue_errors: AtomicU64::new(0),
        })
    }
}

/// Enqueues batches of no-op jobs while the ready list is shorter than `max_waiting`.
pub async fn producer(q: JobQueue, load: Arc<Load>, batch: usize, max_waiting: u64) {
    let jobs: Vec<Noop> = (0..batch).map(|_| Noop::default()).collect();
    while !load.stop.load(Ordering::Relaxed) {
        if load.waiting.load(Ordering::Relaxed) >= max_waiting {
            tokio::time::sleep(Duration::from_micros(200)).await;
            continue;
        }
        let n = batch as u64;
        if load
            .budget
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| b.checked_sub(n))
            .is_err()
        {
            return;
        }
        match q.enqueue_bulk(&jobs, EnqueueOptions::default()).await {
            Ok(out) => {
                load.enqueued.fetch_add(out.len() as u64, Ordering::Relaxed);
                // Counted as waiting at once, so that producers do not overshoot between two samples.
                load.waiting.fetch_add(out.len() as u64, Ordering::Relaxed);
                load.ids
                    .lock()
                    .unwrap()
                    .extend(out.iter().map(|e| e.job_id));
            }
            Err(e) => {
                load.enqueue_errors.fetch_add(1, Ordering::Relaxed);
                eprintln!("bench: enqueue failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Keeps `load.waiting` current (`LLEN` of the ready list); counts its own polls.
/// Starts the closed-loop load: `args.producers` producers, and the sampler that reads the length of the
/// diag ready list every `every` (its reads counted in `polls`) so the producers pause at `--max-waiting`.
pub fn start_load(
    q: &JobQueue,
    args: &Args,
    load: &Arc<Load>,
    every: Duration,
    polls: &Arc<AtomicU64>,
) -> (
    Vec<tokio::task::JoinHandle<()>>,
    tokio::task::JoinHandle<()>,
) {
    let producers = (0..args.producers)
        .map(|_| {
            tokio::spawn(producer(
                q.clone(),
                load.clone(),
                args.batch,
                args.max_waiting,
            ))
        })
        .collect();
    let sampler = tokio::spawn(waiting_sampler(
        q.connection(),
        q.keys().active(Queue::Diag),
        load.clone(),
        every,
        polls.clone(),
    ));
    (producers, sampler)
}

pub async fn waiting_sampler(
    mut conn: RedisConn,
    key: String,
    load: Arc<Load>,
    every: Duration,
    polls: Arc<AtomicU64>,
) {
    while !load.stop.load(Ordering::Relaxed) {
        if let Ok(n) = redis::cmd("LLEN")
            .arg(&key)
            .query_async::<u64>(&mut conn)
            .await
        {
            load.waiting.store(n, Ordering::Relaxed);
        }
        polls.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(every).await;
    }
}
