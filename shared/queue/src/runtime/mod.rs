//! The worker runtime: one supervised apalis worker per queue, the executor that runs attempts, wake-ups,
//! housekeeping loops and graceful shutdown.

mod batch;
mod bookkeeping;
mod context;
mod error;
mod execute;
pub mod history;
mod housekeeping;
mod pause;
mod redis_version;
mod registry;
mod store;
mod supervisor;
mod throttle;
mod wake;

use std::sync::Arc;
use std::time::Duration;

pub use context::{AppCtx, JobCtx};
pub use error::JobError;
pub use execute::Executor;
pub use pause::PauseWatch;
pub use registry::Registry;
pub use supervisor::{LiveWorkers, QueueWorker};
pub use wake::WakeHub;

use crate::{JobQueue, Keys};
use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

/// A unique id for this process: host, pid and a random suffix (worker names derive from it).
pub fn process_id() -> String {
    let host = hostname();
    let suffix = ulid::Ulid::new().to_string();
    format!(
        "{}-{}-{}",
        host,
        std::process::id(),
        &suffix[suffix.len() - 6..]
    )
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into())
}

/// A task that lives as long as the workers (the scheduler): it gets this process's id and a token
/// cancelled once the queues have drained at shutdown.
pub type Companion = Box<dyn FnOnce(String, CancellationToken) -> BoxFuture<'static, ()> + Send>;

/// Runs every configured queue and the `companions` until `shutdown` is cancelled, then drains within the
/// grace period.
pub async fn run(
    app: Arc<AppCtx>,
    registry: Registry,
    companions: Vec<Companion>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let missing = registry.missing();
    anyhow::ensure!(
        missing.is_empty(),
        "jobs without a handler: {}",
        missing.join(", ")
    );
    redis_version::require_supported(&app.queue).await?;
    let worker_id = process_id();
    let (history, history_writer) = history::channel(app.db.clone());
    let in_flight = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let history_task = tokio::spawn(history_writer);
    let exec = Arc::new(Executor {
        app: app.clone(),
        registry,
        worker_id: worker_id.clone(),
        history: Some(history),
        in_flight: in_flight.clone(),
        book: bookkeeping::Bookkeeping::spawn(app.queue.clone(), worker_id.clone()),
    });
    let pause = PauseWatch::default();
    let keys: Keys = app.queue.keys().clone();
    let target = app.config.common.redis_target();
    let wake = WakeHub::default();
    let live = LiveWorkers::default();
    let background = CancellationToken::new();
    let stop_fetch = CancellationToken::new();

    let mut tasks = vec![
        tokio::spawn(
            wake.clone()
                .listen(target, keys.clone(), background.clone()),
        ),
        tokio::spawn(housekeeping::promote_loop(
            app.queue.clone(),
            background.clone(),
        )),
        tokio::spawn(housekeeping::gauges_loop(
            app.queue.clone(),
            background.clone(),
        )),
        tokio::spawn(pause.clone().run(app.queue.clone(), background.clone())),
    ];
    tasks.push(tokio::spawn(housekeeping::process_heartbeat_loop(
        app.queue.clone(),
        housekeeping::ProcessInfo {
            id: worker_id.clone(),
            host: hostname(),
            pid: std::process::id(),
            queues: app.config.queues.keys().copied().collect(),
            started_ms: crate::now_ms(),
            in_flight: in_flight.clone(),
        },
        app.config.heartbeat,
        background.clone(),
    )));
    for companion in companions {
        tasks.push(tokio::spawn(companion(
            worker_id.clone(),
            background.clone(),
        )));
    }

    let mut supervisors = Vec::new();
    for (queue, concurrency) in &app.config.queues {
        let qw = QueueWorker {
            exec: exec.clone(),
            queue: *queue,
            concurrency: *concurrency,
            wake: wake.clone(),
            live: live.clone(),
            paused: pause.subscribe(*queue),
        };
        supervisors.push(tokio::spawn(qw.supervise(stop_fetch.clone())));
    }
    tracing::info!(worker.id = %worker_id, queues = app.config.queues.len(), "workers started");

    shutdown.cancelled().await;
    tracing::info!("shutdown requested: no new jobs are fetched; finishing in-flight jobs");
    stop_fetch.cancel();
    let aborts: Vec<_> = supervisors.iter().map(|h| h.abort_handle()).collect();
    let drained = tokio::time::timeout(
        app.config.shutdown_grace,
        futures::future::join_all(supervisors),
    )
    .await;
    if drained.is_err() {
        // Drop the unfinished jobs first, so none of them completes after its task was handed back.
        for handle in &aborts {
            handle.abort();
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        while aborts.iter().any(|h| !h.is_finished()) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let released = release_inflight(&app.queue, &live).await;
        tracing::warn!(
            released,
            "shutdown deadline passed; in-flight jobs released to their queues"
        );
    }
    background.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(2), futures::future::join_all(tasks)).await;
    // The executor holds the last history sender: dropping it lets the writer flush and end.
    drop(exec);
    let _ = tokio::time::timeout(Duration::from_secs(5), history_task).await;
    tracing::info!("workers stopped");
    Ok(())
}

/// Puts the in-flight tasks of this process's workers back on their queues.
pub async fn release_inflight(queue: &JobQueue, live: &LiveWorkers) -> usize {
    let keys = queue.keys();
    let mut conn = queue.connection();
    let mut total = 0;
    for (q, name) in live.list() {
        let n: Result<usize, _> = store::RELEASE
            .key(keys.apalis_inflight(q, &name))
            .key(keys.active(q))
            .key(keys.apalis_workers(q))
            .arg(&name)
            .arg(keys.notify(q))
            .invoke_async(&mut conn)
            .await;
        total += n.unwrap_or(0);
    }
    total
}
