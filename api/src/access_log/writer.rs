//! Access-log entries are written in batches by one task per process, off the request path: the
//! middleware hands an entry over a bounded channel and the task inserts everything waiting in one
//! statement.
//!
//! When the channel is full the request waits for room (it is not dropped): the access log is a legal
//! record (CNIL), and an access that cannot be traced should not be served as if it were. The channel only
//! fills when Postgres is slower than the request rate for `API_ACCESS_LOG_QUEUE` entries, and then the
//! routes that log are slow on their own queries too. A batch that fails is retried with a growing pause;
//! `access_log_write_failures_total` counts the failures and `access_log_pending` the entries waiting.

use std::time::Duration;

use shared::db::{PgPool, run_blocking};
use shared::models::access_log::{self, NewAccessLog};
use tokio::sync::{mpsc, oneshot};

/// Largest batch of one insert.
const MAX_BATCH: usize = 1_000;

enum Msg {
    Entry(NewAccessLog),
    Flush(oneshot::Sender<()>),
}

/// The sending side; cheap to clone.
#[derive(Clone)]
pub struct AccessLogWriter {
    tx: mpsc::Sender<Msg>,
    capacity: usize,
}

impl AccessLogWriter {
    /// Starts the writing task on the current Tokio runtime.
    pub fn spawn(pool: PgPool, capacity: usize) -> Self {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        tokio::spawn(run(pool, rx));
        Self { tx, capacity }
    }

    /// Queues an entry, waiting for room when the queue is full.
    pub async fn write(&self, entry: NewAccessLog) {
        if self.tx.send(Msg::Entry(entry)).await.is_err() {
            tracing::error!("access-log writer stopped: entry lost");
            metrics::counter!("access_log_entries_lost_total").increment(1);
        }
        metrics::gauge!("access_log_pending").set((self.capacity - self.tx.capacity()) as f64);
    }

    /// Waits until every entry queued before this call is stored (tests, shutdown).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Msg::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

async fn run(pool: PgPool, mut rx: mpsc::Receiver<Msg>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut flushes = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Entry(e) => batch.push(e),
                Msg::Flush(done) => flushes.push(done),
            }
            if batch.len() < MAX_BATCH {
                next = rx.try_recv().ok();
            }
        }
        write_batch(&pool, std::mem::take(&mut batch)).await;
        for done in flushes.drain(..) {
            let _ = done.send(());
        }
    }
}

/// Inserts `batch`, retrying until it is stored (the channel holds the requests back meanwhile).
async fn write_batch(pool: &PgPool, batch: Vec<NewAccessLog>) {
    if batch.is_empty() {
        return;
    }
    let n = batch.len();
    let mut pause = Duration::from_millis(100);
    loop {
        let rows = batch.clone();
        match run_blocking(pool, move |c| access_log::insert_batch(c, &rows)).await {
            Ok(_) => {
                metrics::counter!("access_log_entries_written_total").increment(n as u64);
                return;
            }
            Err(e) => {
                metrics::counter!("access_log_write_failures_total").increment(1);
                tracing::error!(entries = n, error = %e, "access-log batch not stored; retrying");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(10));
            }
        }
    }
}
