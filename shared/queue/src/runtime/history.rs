//! Writes finished-job summaries to Postgres in batches, off the job's path.
//!
//! History is a convenience for operators (it survives Redis and API restarts); the Redis record stays the
//! source of truth, so a batch that cannot be written after a few tries is dropped and counted, never
//! allowed to slow jobs down. For the same reason rows are gathered for up to [`FLUSH_EVERY`] (or
//! [`BATCH`] rows) and committed without waiting for the WAL flush (`synchronous_commit = off` for these
//! transactions only): a Postgres crash can lose the last fraction of a second of history, never a job.

use std::time::Duration;

use shared::db::{self, PgPool};
use shared::models::job_history::{self, JobHistory};
use tokio::sync::mpsc;

const BATCH: usize = 500;
const FLUSH_EVERY: Duration = Duration::from_millis(200);
const QUEUE_CAPACITY: usize = 20_000;

/// Sender side, held by the executor.
#[derive(Clone)]
pub struct HistorySink(mpsc::Sender<JobHistory>);

impl HistorySink {
    /// Records a summary; drops it (and counts the drop) when the writer is far behind.
    pub fn record(&self, row: JobHistory) {
        if self.0.try_send(row).is_err() {
            metrics::counter!("job_history_dropped_total").increment(1);
        }
    }
}

/// Creates the sink and the writer loop; the loop ends once every sink is dropped and the rest is written.
pub fn channel(pool: PgPool) -> (HistorySink, impl Future<Output = ()>) {
    let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
    (HistorySink(tx), write_loop(pool, rx))
}

async fn write_loop(pool: PgPool, mut rx: mpsc::Receiver<JobHistory>) {
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        // Wait for the first row, then gather more until the batch is full or FLUSH_EVERY has passed.
        if rx.recv_many(&mut batch, BATCH).await == 0 {
            return;
        }
        let deadline = tokio::time::Instant::now() + FLUSH_EVERY;
        let mut closed = false;
        while batch.len() < BATCH {
            let room = BATCH - batch.len();
            match tokio::time::timeout_at(deadline, rx.recv_many(&mut batch, room)).await {
                Ok(0) => {
                    closed = true;
                    break;
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        flush(&pool, std::mem::take(&mut batch)).await;
        if closed {
            return;
        }
    }
}

async fn flush(pool: &PgPool, rows: Vec<JobHistory>) {
    let n = rows.len();
    let mut delay = Duration::from_millis(200);
    for _ in 0..4 {
        let batch = rows.clone();
        match db::run_blocking(pool, move |c| {
            job_history::write_batch_async_commit(c, &batch)
        })
        .await
        {
            Ok(_) => {
                metrics::counter!("job_history_written_total").increment(n as u64);
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, rows = n, "job history write failed; retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
    }
    metrics::counter!("job_history_dropped_total").increment(n as u64);
    tracing::error!(rows = n, "job history batch dropped after retries");
}
